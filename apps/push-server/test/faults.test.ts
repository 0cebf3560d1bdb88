import { join } from "node:path";
import {
  capturedLogs,
  describeOnPgSmallTablespace,
  describeOnSmallDisk,
  pgFaultSuite,
} from "@session/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PendingStore, PgPendingStore, SqlitePendingStore } from "../src/db/pending.ts";
import { PgSubscriptionRepo, SqliteSubscriptionRepo, type SubscriptionRepo } from "../src/db/repo.ts";
import type { Notifier, PushNotification } from "../src/notifiers/types.ts";
import type { PushServer } from "../src/server.ts";
import { logOnlyPushApp, newAccount, subscribeBody } from "./helpers.ts";

function pushServer(repo: SubscriptionRepo, pending: PendingStore, notifier?: Notifier) {
  const { logger, lines } = capturedLogs("push-faults");
  const push = logOnlyPushApp(repo, logger, {
    pending,
    ...(notifier ? { notifiers: new Map([["firebase", notifier]]) } : {}),
  });
  return { push, lines };
}

const post = async (push: PushServer, body: unknown) => {
  const res = await push.app.request("/subscribe", { method: "POST", body: JSON.stringify(body) });
  // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON answers field by field
  return { status: res.status, body: (await res.json()) as any };
};
// biome-ignore lint/suspicious/noExplicitAny: tests read the health body field by field
const health = async (push: PushServer): Promise<any> => (await push.app.request("/health")).json();
const gauge = async (push: PushServer, condition: string) =>
  new RegExp(`^push_degraded\\{condition="${condition}"\\} (\\d)`, "m").exec(
    await (await push.app.request("/metrics")).text(),
  )?.[1];
const notification = { service: "firebase", token: "device-token-1", encPayload: new Uint8Array([1, 2, 3]) };

/** A provider that accepts everything, answering on a later turn of the event loop as a network would. */
class RecordingProvider implements Notifier {
  readonly service = "firebase";
  /** The tag (first 4 payload bytes) of each notification sent, in order. */
  readonly sent: number[] = [];
  send(n: PushNotification): Promise<void> {
    return new Promise((resolve) =>
      setImmediate(() => {
        this.sent.push(Buffer.from(n.encPayload).readUInt32BE(0));
        resolve();
      }),
    );
  }
}
const tagged = (tag: number) => {
  const encPayload = new Uint8Array(4);
  new DataView(encPayload.buffer).setUint32(0, tag);
  return { service: "firebase", token: `device-${tag % 7}`, encPayload };
};

/** The store, with a count of `remove` calls per row (each is an attempt to record a delivery). */
function countingRemovals(store: PendingStore) {
  const removals = new Map<number, number>();
  const counted: PendingStore = {
    deletesNeedSpace: store.deletesNeedSpace,
    add: (n, now) => store.add(n, now),
    due: (now, limit, skip) => store.due(now, limit, skip),
    nextAttemptMs: (skip) => store.nextAttemptMs(skip),
    retryLater: (id, attempts, next, error) => store.retryLater(id, attempts, next, error),
    remove: (id) => {
      removals.set(id, (removals.get(id) ?? 0) + 1);
      return store.remove(id);
    },
    removeToken: (service, token) => store.removeToken(service, token),
    dropOldest: (n, skip) => store.dropOldest(n, skip),
    count: () => store.count(),
    close: () => store.close(),
  };
  return { store: counted, removals };
}

/**
 * The delivery queue on a disk that fills up: notifications queued before are acknowledged; on
 * the full disk new ones are refused with STORAGE_FULL (not counted) once the store cannot take
 * them; what is queued is still delivered, each once, though its row cannot be deleted (the
 * outcome is held and written when space returns); the condition is logged once and shown in
 * /health and /metrics; when space returns everything acknowledged has been sent exactly once and
 * the queue takes new notifications again.
 */
async function queueOnFullDisk(
  pendingStore: PendingStore,
  disk: { fill(): Promise<void>; free(): Promise<void> },
  repo: SubscriptionRepo,
) {
  const provider = new RecordingProvider();
  const { store, removals } = countingRemovals(pendingStore);
  const { push, lines } = pushServer(repo, store, provider);
  try {
    let tag = 0;
    const acknowledged: number[] = [];
    // Queued before the queue starts: stored, waiting.
    for (; tag < 3; tag++) if (await push.queue.enqueue(tagged(tag))) acknowledged.push(tag);
    expect(acknowledged).toEqual([0, 1, 2]);

    await disk.fill();
    // Writes that fit in space the store already holds may still land; then it refuses.
    const refusals: unknown[] = [];
    for (let i = 0; i < 2000 && refusals.length < 3; i++, tag++) {
      try {
        expect(await push.queue.enqueue(tagged(tag))).toBe(true);
        acknowledged.push(tag);
      } catch (err) {
        refusals.push(err);
      }
    }
    expect(refusals).toHaveLength(3);
    for (const err of refusals) expect(err).toMatchObject({ code: "STORAGE_FULL", status: 507 });
    // Refused notifications are not counted; the acknowledged ones are stored.
    expect(push.queue.size).toBe(acknowledged.length);
    expect(await pendingStore.count()).toBe(acknowledged.length);
    expect(await health(push)).toEqual({ ok: false, queued: acknowledged.length, conditions: ["disk_full"] });
    expect(await gauge(push, "disk_full")).toBe("1");

    // Delivery of what is queued goes on, each row once. Where the full disk refuses to delete a
    // row (SQLite: a deletion is a write to its journal) the row is not sent again: checked once a
    // deletion has been tried three times (held, tried again each second). PostgreSQL deletes in
    // place, with no new space: there the rows simply go.
    const firstIds = (await pendingStore.due(Number.MAX_SAFE_INTEGER, 3, [])).map((r) => r.id);
    expect(firstIds).toHaveLength(3);
    await push.queue.start();
    await expect
      .poll(
        async () => {
          const left = new Set(
            (await pendingStore.due(Number.MAX_SAFE_INTEGER, 10_000, [])).map((r) => r.id),
          );
          return firstIds.every((id) => !left.has(id)) || firstIds.some((id) => (removals.get(id) ?? 0) >= 3);
        },
        { timeout: 15_000, interval: 20 },
      )
      .toBe(true);
    expect(provider.sent.filter((t) => t <= 2).sort()).toEqual([0, 1, 2]);
    expect((await health(push)).conditions).toEqual(["disk_full"]);
    // Logged once, as a condition, however many writes failed.
    expect(lines.filter((l) => l.condition === "disk_full")).toHaveLength(1);
    expect(lines.filter((l) => l.msg === "request failed" || /could not record/.test(String(l.msg)))).toEqual(
      [],
    );

    // Space returns: the held outcomes are written, the queue empties, nothing is sent twice.
    await disk.free();
    await expect
      .poll(async () => [push.queue.size, await pendingStore.count()], { timeout: 15_000, interval: 20 })
      .toEqual([0, 0]);
    // Nothing is stored any more, so nothing more can be sent: the counts are final.
    expect([...provider.sent].sort((a, b) => a - b)).toEqual(acknowledged);

    // New notifications are taken again, which clears the condition (on PostgreSQL the deletions
    // above needed no space, so they said nothing about it).
    expect(await push.queue.enqueue(tagged(tag))).toBe(true);
    expect(await health(push)).toMatchObject({ ok: true });
    expect(await gauge(push, "disk_full")).toBe("0");
    expect(lines.filter((l) => l.condition === "disk_full").map((l) => l.msg)).toEqual([
      expect.stringMatching(/^disk full/),
      "fault condition cleared",
    ]);
    await expect
      .poll(() => provider.sent.length, { timeout: 10_000, interval: 20 })
      .toBe(acknowledged.length + 1);
    await expect.poll(() => pendingStore.count(), { timeout: 10_000, interval: 20 }).toBe(0);
    expect(await health(push)).toEqual({ ok: true, queued: 0 });
  } finally {
    await push.stop();
  }
}

describe("PostgreSQL connection lost (pg_terminate_backend)", () => {
  const { url, schema, applicationName: appName, faults } = pgFaultSuite("push-server", "push_faults");
  let repo: PgSubscriptionRepo;
  let pending: PgPendingStore;
  let push: PushServer;

  beforeAll(async () => {
    repo = await PgSubscriptionRepo.open(url, schema, appName);
    pending = await PgPendingStore.open(url, schema, appName);
    push = pushServer(repo, pending).push;
  });
  // Each pool's end() waits up to 5 s for connections the test killed; closed side by side.
  afterAll(async () => {
    await push?.stop();
    await Promise.all([repo?.close(), pending?.close()]);
  }, 20_000);

  /** Runs `lockSql` in an open transaction, starts `op`, kills the service's connections once it waits on the lock. */
  const killWhileBlocked = <T>(lockSql: string, op: () => Promise<T>) =>
    faults.killWhileBlocked(appName, lockSql, op);

  it("stores a subscription batch all or none: a connection lost on its second entry stores neither", async () => {
    const a = newAccount();
    const b = newAccount();
    expect((await post(push, subscribeBody(b))).body).toMatchObject({ success: true, added: true });

    // b's row is locked: a's insert goes through inside the batch's transaction, b's waits and dies.
    const res = await killWhileBlocked(
      `SELECT 1 FROM "${schema}".subscriptions WHERE pubkey = '${b.sessionId}' FOR UPDATE`,
      () => post(push, [subscribeBody(a), subscribeBody(b, { namespaces: [0, 1] })]),
    );
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("DATABASE_UNAVAILABLE");
    expect(await repo.forAccount(a.sessionId)).toEqual([]);
    expect((await repo.forAccount(b.sessionId))[0]?.namespaces).toEqual([0]);

    // Reconnected without a restart: the client's retry is taken whole.
    const retry = await post(push, [subscribeBody(a), subscribeBody(b, { namespaces: [0, 1] })]);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject([
      { success: true, added: true },
      { success: true, updated: true },
    ]);
    expect((await health(push)).ok).toBe(true);
  });

  it("refuses a notification whose pending-store write lost its connection, counts nothing, then takes the next", async () => {
    const before = push.queue.size;
    const lost = killWhileBlocked(
      `LOCK TABLE "${schema}".pending_notifications IN ACCESS EXCLUSIVE MODE`,
      () => push.queue.enqueue(notification),
    );
    await expect(lost).rejects.toMatchObject({ code: "DATABASE_UNAVAILABLE" });
    expect(push.queue.size).toBe(before);
    expect(await pending.count()).toBe(before);
    expect(await health(push)).toEqual({ ok: false, queued: before, conditions: ["database_unavailable"] });
    expect(await gauge(push, "database_unavailable")).toBe("1");

    expect(await push.queue.enqueue(notification)).toBe(true);
    expect(push.queue.size).toBe(before + 1);
    expect(await pending.count()).toBe(before + 1);
    expect(await health(push)).toEqual({ ok: true, queued: before + 1 });
    expect(await gauge(push, "database_unavailable")).toBe("0");
  });
});

describeOnSmallDisk("disk full (SQLite on a 2 MiB tmpfs)", 2 * 1024 * 1024, (disk) => {
  it("refuses subscriptions with STORAGE_FULL, logs once, reports it, recovers by itself", async () => {
    const repo = SqliteSubscriptionRepo.open(join(disk().dir, "subs.db"));
    const pending = SqlitePendingStore.open(join(disk().dir, "pending.db"));
    const { push, lines } = pushServer(repo, pending);
    try {
      const kept = newAccount();
      expect((await post(push, subscribeBody(kept))).status).toBe(200);

      await disk().fill();
      for (let i = 0; i < 3; i++) {
        const refused = await post(push, subscribeBody(newAccount()));
        expect(refused.status).toBe(507);
        expect(refused.body.error.code).toBe("STORAGE_FULL");
      }
      // Reads keep working.
      expect(await repo.forAccount(kept.sessionId)).toHaveLength(1);
      expect(await health(push)).toEqual({ ok: false, queued: 0, conditions: ["disk_full"] });
      expect(await gauge(push, "disk_full")).toBe("1");
      expect(lines.filter((l) => l.condition === "disk_full")).toHaveLength(1);
      expect(lines.filter((l) => l.msg === "request failed")).toHaveLength(0);

      await disk().free();
      expect((await post(push, subscribeBody(newAccount()))).status).toBe(200);
      expect(await health(push)).toEqual({ ok: true, queued: 0 });
    } finally {
      await push.stop();
      await repo.close();
      await pending.close();
    }
  });

  it("queue: refuses new notifications with STORAGE_FULL, delivers what is queued once each, loses nothing", async () => {
    const repo = SqliteSubscriptionRepo.open(join(disk().dir, "subs.db"));
    const pending = SqlitePendingStore.open(join(disk().dir, "pending.db"));
    try {
      await queueOnFullDisk(pending, disk(), repo);
    } finally {
      await repo.close();
      await pending.close();
    }
  }, 60_000);
});

await describeOnPgSmallTablespace(
  "disk full (PostgreSQL: the schema's tables in a tablespace on a 1 MiB tmpfs)",
  { sizeBytes: 1024 * 1024, schemaPrefix: "push_disk_full" },
  (ts, { url, schema }) => {
    let repo: PgSubscriptionRepo;
    let pending: PgPendingStore;

    beforeAll(async () => {
      repo = await PgSubscriptionRepo.open(url, schema);
      pending = await PgPendingStore.open(url, schema);
      await ts().moveSchema(schema);
    });
    afterAll(async () => {
      await Promise.all([repo?.close(), pending?.close()]);
    }, 20_000);

    it("refuses subscriptions with STORAGE_FULL (SQLSTATE 53100), serves reads, logs once, reports it, recovers", async () => {
      const { push, lines } = pushServer(repo, pending);
      try {
        const kept = newAccount();
        expect((await post(push, subscribeBody(kept))).status).toBe(200);

        await ts().fill();
        // Rows that fit in pages already there still go in; then every new subscription is refused.
        const acknowledged: string[] = [];
        const refused: { status: number; body: { error: { code: string } } }[] = [];
        for (let i = 0; i < 500 && refused.length < 3; i++) {
          const a = newAccount();
          const res = await post(push, subscribeBody(a));
          if (res.status === 200) acknowledged.push(a.sessionId);
          else refused.push(res);
        }
        expect(refused).toHaveLength(3);
        for (const r of refused)
          expect(r).toMatchObject({ status: 507, body: { error: { code: "STORAGE_FULL" } } });
        // Reads keep working, and everything acknowledged is there.
        expect(await repo.forAccount(kept.sessionId)).toHaveLength(1);
        for (const id of acknowledged) expect(await repo.forAccount(id)).toHaveLength(1);
        expect(await health(push)).toEqual({ ok: false, queued: 0, conditions: ["disk_full"] });
        expect(await gauge(push, "disk_full")).toBe("1");
        expect(lines.filter((l) => l.condition === "disk_full")).toHaveLength(1);
        // PostgreSQL's disk_full SQLSTATE, under drizzle's query error.
        expect(JSON.stringify(lines.find((l) => l.condition === "disk_full"))).toContain('"code":"53100"');
        expect(lines.filter((l) => l.msg === "request failed")).toHaveLength(0);

        await ts().free();
        expect((await post(push, subscribeBody(newAccount()))).status).toBe(200);
        expect(await health(push)).toEqual({ ok: true, queued: 0 });
        expect(await gauge(push, "disk_full")).toBe("0");
      } finally {
        await push.stop();
      }
    }, 60_000);

    it("queue: refuses new notifications with STORAGE_FULL, delivers what is queued once each, loses nothing", async () => {
      await queueOnFullDisk(pending, ts(), repo);
    }, 60_000);
  },
);
