import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, loadServerKeys, type RunningServer, startServer } from "@session/service-kit";
import { onionV4TestClient } from "@session/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import type { PushServer } from "../src/server.ts";
import { logOnlyPushApp, newAccount, subscribeBody, unsubscribeBody } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "push-onion-"));
const logger = createLogger({ name: "test", level: "silent" });
let repo: SqliteSubscriptionRepo;
let push: PushServer;
let server: RunningServer;
let keys: Awaited<ReturnType<typeof loadServerKeys>>;

beforeAll(async () => {
  keys = await loadServerKeys(join(dir, "keys", "x25519.key"));
  repo = SqliteSubscriptionRepo.open(join(dir, "subs.sqlite"));
  push = logOnlyPushApp(repo, logger, {
    x25519Keys: keys,
  });
  server = await startServer(push.app, { port: 0, hostname: "127.0.0.1", graceMs: 200 });
});
afterAll(async () => {
  push.stop();
  await server.close();
  await repo.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("onion requests (v4 final hop)", () => {
  it("keeps the same key across restarts", async () => {
    const again = await loadServerKeys(join(dir, "keys", "x25519.key"));
    expect(again.publicKey).toEqual(keys.publicKey);
  });

  for (const encType of ["xchacha20", "aes-gcm"] as const) {
    it(`subscribes and unsubscribes through an onion request (${encType})`, async () => {
      const client = onionV4TestClient(server.url, keys.publicKey, encType);
      const acct = newAccount();
      const enc = new TextEncoder();
      const sub = await client.request(
        { method: "POST", endpoint: "/subscribe", headers: { "content-type": "application/json" } },
        enc.encode(JSON.stringify(subscribeBody(acct))),
      );
      expect(sub.info.code).toBe(200);
      expect(JSON.parse(new TextDecoder().decode(sub.body))).toMatchObject({ success: true, added: true });
      expect(await repo.forAccount(acct.sessionId)).toHaveLength(1);
      const unsub = await client.request(
        { method: "POST", endpoint: "/unsubscribe", headers: { "content-type": "application/json" } },
        enc.encode(JSON.stringify(unsubscribeBody(acct))),
      );
      expect(JSON.parse(new TextDecoder().decode(unsub.body))).toMatchObject({
        success: true,
        removed: true,
      });
    });
  }

  it("refuses a layer encrypted to another key", async () => {
    const other = await loadServerKeys(join(dir, "other.key"));
    const client = onionV4TestClient(server.url, other.publicKey, "xchacha20");
    await expect(
      client.request({ method: "POST", endpoint: "/subscribe", headers: {} }, new Uint8Array(2)),
    ).rejects.toThrow(/HTTP 400/);
  });
});
