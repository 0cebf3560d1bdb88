import { generateSeed } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { createIdentity, SessionClient } from "../src/index.ts";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("client-push", { nodes: 6, fileServer: false });

describe("client.push.register / unregister through an onion path", () => {
  it("registers, renews, then removes a device with the push server", async () => {
    const c = new SessionClient({
      identity: createIdentity(),
      seeds: [net.devnet.seed],
      pushServer: net.devnet.pushServer!,
    });
    await c.connect();
    const reg = { service: "firebase" as const, token: "device-token-1", encKey: generateSeed() };
    expect(await c.push.register(reg)).toMatchObject({ success: true, added: true });
    expect(await c.push.register(reg)).toMatchObject({ success: true, updated: true });
    const device = { service: "firebase" as const, token: "device-token-1" };
    expect(await c.push.unregister(device)).toMatchObject({ success: true, removed: true });
    expect(await c.push.unregister(device)).toMatchObject({ success: true, removed: false });
    const none = new SessionClient({ identity: createIdentity(), seeds: [net.devnet.seed] });
    await expect(none.push.register(reg)).rejects.toMatchObject({ code: "NETWORK_UNAVAILABLE" });
  }, 60_000);
});
