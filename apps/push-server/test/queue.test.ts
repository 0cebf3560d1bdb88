import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPushNotification } from "@session/client";
import { fromBase64 } from "@session/crypto";
import { backoffMs, createLogger } from "@session/service-kit";
import postgres from "postgres";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type PendingStore, PgPendingStore, SqlitePendingStore } from "../src/db/pending.ts";
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import { NotificationQueue, type QueueOptions } from "../src/domain/queue.ts";
import type { FcmNotifier } from "../src/notifiers/fcm.ts";
import { fanOut } from "../src/server.ts";
import { type FcmStandIn, startFcmStandIn } from "./fcm-stand-in.ts";
import { logOnlyPushApp, newAccount, subscribeBody, waitFor } from "./helpers.ts";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `push_queue_test_${process.pid}_${Date.now()}`;
const logger = createLogger({ name: "test", level: "silent" });
const dir = mkdtempSync(join(tmpdir(), "push-queue-"));
let fcm: FcmStandIn;
let notifier: FcmNotifier;
let closeFcm: () => Promise<void>;

beforeAll(async () => {
  ({ fcm, notifier, close: closeFcm } = await startFcmStandIn(dir));
});
afterEach(() => {
  fcm.outage = undefined;
  fcm.tokenErrors.clear();
});
afterAll(async () => {
  await closeFcm();
  rmSync(dir, { recursive: true, force: true });
  const sql = postgres(PG_URL, { onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end();
});

const note = (token: string, byte: number) => ({
  service: "firebase",
  token,
  encPayload: new Uint8Array([byte, byte, byte]),
});
/** The first payload byte of each message the stand-in accepted (tests tag payloads with it). */
const receivedTags = () => fcm.received.map((r) => fromBase64(r.body.message.data.enc_payload)[0]);

const queueOn = (store: PendingStore, over: Partial<QueueOptions> = {}) => {
  const registry = new Registry();
  const q = new NotificationQueue({
    store,
    notifiers: new Map([["firebase", notifier]]),
    onInvalidToken: async () => {},
    logger,
    registry,
    baseBackoffMs: 40,
    maxBackoffMs: 200,
    ...over,
  });
  const metric = async (name: string) => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
    return (m?.values ?? []).reduce((a, v) => a + Number(v.value), 0);
  };
  return { q, metric };
};

describe("backoff", () => {
  it("doubles from the base and stops at the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffMs(n, { baseMs: 500, maxMs: 10_000 }))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });
});

const backends: [string, () => Promise<PendingStore>][] = [
  ["sqlite", async () => SqlitePendingStore.open(join(dir, "pending.sqlite"))],
  ["postgres", () => PgPendingStore.open(PG_URL, schema)],
];

describe.each(backends)("durable queue on %s", (_name, open) => {
  afterEach(async () => {
    // Each test starts from an empty table.
    const s = await open();
    await s.dropOldest(1_000_000, []);
    await s.close();
  });

  it("keeps notifications through an outage and a restart, then delivers each once", async () => {
    fcm.received.length = 0;
    fcm.outage = 500;
    let store = await open();
    const first = queueOn(store);
    await first.q.start();
    expect(await first.q.enqueue(note("phone-a", 1))).toBe(true);
    expect(await first.q.enqueue(note("phone-b", 2))).toBe(true);
    await waitFor(
      "failed attempts",
      async () => (await first.metric("push_notification_attempts_failed_total")) >= 4,
    );
    await first.q.stop();
    expect(await first.q.enqueue(note("phone-c", 3))).toBe(false);
    await store.close();
    expect(receivedTags()).toEqual([]);

    // A new process: the rows are still there, with their attempt counts.
    store = await open();
    const rows = await store.due(Number.MAX_SAFE_INTEGER, 10, []);
    expect(rows.map((r) => [r.token, r.encPayload[0]]).sort()).toEqual([
      ["phone-a", 1],
      ["phone-b", 2],
    ]);
    expect(rows.every((r) => r.attempts >= 2 && /internal-error/.test(r.lastError ?? ""))).toBe(true);
    fcm.outage = undefined;
    const second = queueOn(store);
    await second.q.start();
    expect(second.q.size).toBe(2);
    await waitFor("delivery", () => fcm.received.length >= 2);
    await waitFor("empty queue", () => second.q.size === 0);
    // Once stopped nothing more can be sent, so "each once" is checked after all that could arrive.
    await second.q.stop();
    expect(receivedTags().sort()).toEqual([1, 2]);
    expect(await store.count()).toBe(0);
    expect(await second.metric("push_notifications_sent_total")).toBe(2);
    await store.close();
  }, 30_000);

  it("is bounded: over QUEUE_MAX the oldest are dropped and counted", async () => {
    fcm.received.length = 0;
    const store = await open();
    const { q, metric } = queueOn(store, { maxSize: 3 });
    for (let i = 1; i <= 5; i++) expect(await q.enqueue(note(`t${i}`, i))).toBe(true);
    expect(q.size).toBe(3);
    expect(await store.count()).toBe(3);
    expect(await metric("push_notifications_dropped_total")).toBe(2);
    expect(await metric("push_queue_depth")).toBe(3);
    await q.start();
    await waitFor("delivery", () => fcm.received.length >= 3);
    await waitFor("empty queue", () => q.size === 0);
    await q.stop();
    expect(receivedTags().sort()).toEqual([3, 4, 5]);
    await store.close();
  }, 30_000);

  it("retries with capped exponential backoff", async () => {
    fcm.received.length = 0;
    fcm.outage = 500;
    const store = await open();
    // The wait the queue schedules after each failure, read where it is recorded: exact, whatever
    // the machine's load (the gaps measured between attempts can only be checked from below).
    const scheduled: { attempts: number; waitMs: number }[] = [];
    const recording = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === "retryLater") {
          return (id: number, attempts: number, at: number, reason: string) => {
            scheduled.push({ attempts, waitMs: at - Date.now() });
            return target.retryLater(id, attempts, at, reason);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const { q } = queueOn(recording, { baseBackoffMs: 100, maxBackoffMs: 400 });
    await q.start();
    const before = fcm.attemptTimes.length;
    await q.enqueue(note("slow", 1));
    await waitFor("five failed attempts", () => scheduled.length >= 5, 10_000);
    await q.stop();
    expect(scheduled.slice(0, 5).map((x) => x.attempts)).toEqual([1, 2, 3, 4, 5]);
    for (const [i, want] of [100, 200, 400, 400, 400].entries()) {
      // Date.now() is read twice in one synchronous run: at most a millisecond apart.
      expect(scheduled[i]!.waitMs).toBeGreaterThanOrEqual(want - 1);
      expect(scheduled[i]!.waitMs).toBeLessThanOrEqual(want);
    }
    const times = fcm.attemptTimes.slice(before, before + 5);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (const [i, want] of [100, 200, 400, 400].entries()) expect(gaps[i]).toBeGreaterThanOrEqual(want - 5);
    await store.close();
  }, 30_000);

  it("a fresh notification overtakes one that is backed off", async () => {
    fcm.received.length = 0;
    fcm.outage = 500;
    const store = await open();
    // One failure puts "slow" a minute away, far beyond anything a loaded machine could add.
    const { q, metric } = queueOn(store, { baseBackoffMs: 60_000, maxBackoffMs: 60_000 });
    await q.start();
    await q.enqueue(note("slow", 1));
    await waitFor(
      "one failed attempt",
      async () => (await metric("push_notification_attempts_failed_total")) >= 1,
    );
    fcm.outage = undefined;
    await q.enqueue(note("fresh", 2));
    await waitFor("fresh delivered", () => fcm.received.length >= 1, 5_000);
    await q.stop();
    expect(receivedTags()).toEqual([2]);
    const waiting = await store.due(Number.MAX_SAFE_INTEGER, 10, []);
    expect(waiting.map((r) => [r.token, r.attempts])).toEqual([["slow", 1]]);
    expect(await store.nextAttemptMs([])).toBeGreaterThan(Date.now() + 50_000);
    await store.close();
  }, 30_000);
});

describe("queue in the push server", () => {
  it("removes the subscriptions and pending notifications of a token FCM reports unregistered", async () => {
    fcm.received.length = 0;
    const repo = SqliteSubscriptionRepo.open(join(dir, "q.sqlite"));
    const pending = SqlitePendingStore.open(join(dir, "q.sqlite"));
    const push = logOnlyPushApp(repo, logger, { pending, notifiers: new Map([["firebase", notifier]]) });
    const acct = newAccount();
    const encKey = new Uint8Array(32).fill(3);
    for (const token of ["gone", "alive"]) {
      const r = await push.app.request("/subscribe", {
        method: "POST",
        body: JSON.stringify(subscribeBody(acct, { token, encKey, namespaces: [0, 5] })),
      });
      expect(await r.json()).toMatchObject({ success: true });
    }
    fcm.tokenErrors.set("gone", "UNREGISTERED");
    const msg = {
      pubkey: acct.sessionId,
      hash: "hh",
      namespace: 5,
      timestamp: 10,
      expiry: 20,
      data: new Uint8Array(4),
    };
    // Queued (durably) before the server starts sending.
    expect(await fanOut(repo, push.queue, msg)).toBe(2);
    expect(await fanOut(repo, push.queue, { ...msg, hash: "h2" })).toBe(2);
    // Not in a subscribed namespace: nothing queued.
    expect(await fanOut(repo, push.queue, { ...msg, namespace: 1 })).toBe(0);
    expect(await pending.count()).toBe(4);
    await push.start();
    await waitFor("token removal", async () => (await repo.forAccount(acct.sessionId)).length === 1);
    await waitFor("queue drained", () => push.queue.size === 0);
    expect(await pending.count()).toBe(0);
    expect((await repo.forAccount(acct.sessionId))[0]?.token).toBe("alive");
    // One 404 for "gone" removed its second notification too.
    expect(fcm.received.map((r) => r.body.message.token)).toEqual(["alive", "alive"]);
    // subscribeBody defaults to data=false: the body is not forwarded.
    const opened = openPushNotification(fcm.received[0]!.body.message.data.enc_payload, encKey);
    expect(opened).toMatchObject({ hash: "hh", namespace: 5, timestamp: 10, expiry: 20 });
    expect(opened.body).toBeUndefined();
    await push.stop();
    await pending.close();
    await repo.close();
  }, 30_000);
});
