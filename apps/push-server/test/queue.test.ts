import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decryptPushPayload, fromBase64 } from "@session/crypto";
import { bdecode } from "@session/protocol";
import { createLogger } from "@session/service-kit";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import { notificationPlaintext } from "../src/domain/payload.ts";
import { NotificationQueue } from "../src/domain/queue.ts";
import { FcmNotifier } from "../src/notifiers/fcm.ts";
import { createPushServer } from "../src/server.ts";
import { FcmStandIn, newAccount, subscribeBody, waitFor } from "./helpers.ts";

const logger = createLogger({ name: "test", level: "silent" });
const dir = mkdtempSync(join(tmpdir(), "push-queue-"));
let fcm: FcmStandIn;
beforeAll(async () => {
  fcm = new FcmStandIn();
  await fcm.start();
});
afterEach(() => {
  fcm.failing = false;
  fcm.received.length = 0;
  fcm.unregistered.clear();
});
afterAll(async () => {
  await fcm.stop();
  rmSync(dir, { recursive: true, force: true });
});

const notifier = () =>
  new FcmNotifier({ endpoint: fcm.url, projectId: "p", accessToken: () => "tok", fetch });

describe("payload", () => {
  const msg = { pubkey: `05${"aa".repeat(32)}`, hash: "h1", namespace: -10, timestamp: 1, expiry: 2 };
  it("is [json, body] with a body, [dict] without, and leaves out bodies over 2500 bytes", () => {
    const withBody = bdecode(
      notificationPlaintext({ ...msg, data: new Uint8Array(10).fill(9) }),
    ) as Uint8Array[];
    expect(JSON.parse(new TextDecoder().decode(withBody[0]))).toEqual({
      "@": msg.pubkey,
      "#": "h1",
      n: -10,
      t: 1,
      z: 2,
      l: 10,
    });
    expect(withBody[1]).toEqual(new Uint8Array(10).fill(9));
    const bare = bdecode(notificationPlaintext(msg)) as Record<string, unknown>[];
    expect(bare).toHaveLength(1);
    expect(bare[0]?.n).toBe(-10);
    const big = bdecode(notificationPlaintext({ ...msg, data: new Uint8Array(2501) })) as Record<
      string,
      unknown
    >[];
    expect(big).toHaveLength(1);
    expect(big[0]).toMatchObject({ l: 2501, B: 1 });
  });
});

describe("notification queue with the FCM notifier", () => {
  it("retries through a 503 outage until delivered", async () => {
    const q = new NotificationQueue({
      notifiers: new Map([["firebase", notifier()]]),
      onInvalidToken: async () => {},
      logger,
      registry: new Registry(),
      baseBackoffMs: 20,
      maxBackoffMs: 100,
    });
    fcm.failing = true;
    const before = fcm.attempts;
    expect(q.enqueue({ service: "firebase", token: "x", encPayload: new Uint8Array([1, 2, 3]) })).toBe(true);
    await waitFor("three failed attempts", () => fcm.attempts - before >= 3);
    expect(fcm.received).toHaveLength(0);
    fcm.failing = false;
    await waitFor("delivery", () => fcm.received.length === 1);
    expect(fromBase64(fcm.received[0]!.body.message.data.enc_payload)).toEqual(new Uint8Array([1, 2, 3]));
    await waitFor("empty queue", () => q.size === 0);
    q.stop();
  });

  it("is bounded: drops new notifications when full", async () => {
    const q = new NotificationQueue({
      notifiers: new Map(),
      onInvalidToken: async () => {},
      logger,
      registry: new Registry(),
      maxSize: 2,
    });
    const n = { service: "firebase", token: "x", encPayload: new Uint8Array(1) };
    expect([q.enqueue(n), q.enqueue(n), q.enqueue(n)]).toEqual([true, true, false]);
    q.stop();
  });

  it("removes subscriptions of a token FCM reports unregistered", async () => {
    const repo = SqliteSubscriptionRepo.open(join(dir, "q.sqlite"));
    const push = createPushServer({
      repo,
      notifiers: new Map([["firebase", notifier()]]),
      logger,
      fetch,
      listNodes: async () => [],
    });
    const acct = newAccount();
    const encKey = new Uint8Array(32).fill(3);
    for (const token of ["gone", "alive"]) {
      const r = await push.app.request("/subscribe", {
        method: "POST",
        body: JSON.stringify(subscribeBody(acct, { token, encKey, namespaces: [0, 5] })),
      });
      expect(await r.json()).toMatchObject({ success: true });
    }
    fcm.unregistered.add("gone");
    const { fanOut } = await import("../src/server.ts");
    const msg = {
      pubkey: acct.sessionId,
      hash: "hh",
      namespace: 5,
      timestamp: 10,
      expiry: 20,
      data: new Uint8Array(4),
    };
    expect(await fanOut(repo, push.queue, msg)).toBe(2);
    // Not in a subscribed namespace: nothing queued.
    expect(await fanOut(repo, push.queue, { ...msg, namespace: 1 })).toBe(0);
    await waitFor("token removal", async () => (await repo.forAccount(acct.sessionId)).length === 1);
    expect((await repo.forAccount(acct.sessionId))[0]?.token).toBe("alive");
    expect(fcm.received.map((r) => r.body.message.token)).toEqual(["alive"]);
    const plain = decryptPushPayload(encKey, fromBase64(fcm.received[0]!.body.message.data.enc_payload));
    let end = plain.length;
    while (plain[end - 1] === 0) end--;
    // subscribeBody defaults to data=false: the body is not forwarded.
    const [meta] = bdecode(plain.subarray(0, end)) as Record<string, unknown>[];
    expect(meta).toMatchObject({ n: 5, t: 10, z: 20 });
    expect(new TextDecoder().decode(meta?.["#"] as Uint8Array)).toBe("hh");
    push.stop();
    await repo.close();
  });
});
