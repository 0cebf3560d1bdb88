import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSeed } from "@session/crypto";
import { type Devnet, startDevnet } from "@session/devnet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIdentity, SessionClient } from "../src/index.ts";

let devnet: Devnet;
const dir = mkdtempSync(join(tmpdir(), "client-push-"));
beforeAll(async () => {
  devnet = await startDevnet({ nodes: 6, dataDir: dir, fileServer: false });
}, 120_000);
afterAll(async () => {
  await devnet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("client.push.register / unregister through an onion path", () => {
  it("registers, renews, then removes a device with the push server", async () => {
    const c = new SessionClient({
      identity: createIdentity(),
      seeds: [devnet.seed],
      pushServer: devnet.pushServer!,
    });
    await c.connect();
    const reg = { service: "firebase" as const, token: "device-token-1", encKey: generateSeed() };
    expect(await c.push.register(reg)).toMatchObject({ success: true, added: true });
    expect(await c.push.register(reg)).toMatchObject({ success: true, updated: true });
    const device = { service: "firebase" as const, token: "device-token-1" };
    expect(await c.push.unregister(device)).toMatchObject({ success: true, removed: true });
    expect(await c.push.unregister(device)).toMatchObject({ success: true, removed: false });
    const none = new SessionClient({ identity: createIdentity(), seeds: [devnet.seed] });
    await expect(none.push.register(reg)).rejects.toMatchObject({ code: "NETWORK_UNAVAILABLE" });
  }, 60_000);
});
