// PostgreSQL connection lost mid-operation, for real: a test session holds a lock so the
// indexer's commit (or read) waits inside PostgreSQL, then pg_terminate_backend ends the
// indexer's session there. The indexer must fail that operation cleanly, keep nothing of a cut
// transaction, reconnect and go on without a restart.

import { capturedLogs, deferred, suiteSchema, TEST_PG_URL } from "@session/service-kit/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIndexer } from "../src/index.ts";
import { chainFixture, type Fixture } from "./chain-fixture.ts";
import { chainEventKeys, health, indexedEventKeys, servedNodes, startFixtureIndexer } from "./helpers.ts";

const schema = suiteSchema("sns_pgloss");
const { logger, logged } = capturedLogs("sns-indexer-test");

let f: Fixture;
let indexer: RunningIndexer;
let admin: postgres.Sql;

beforeAll(async () => {
  f = await chainFixture();
  await f.registerNode({ operatorIndex: 1 });
  admin = postgres(TEST_PG_URL, { onnotice: () => {}, max: 4 });
  indexer = await startFixtureIndexer(
    f,
    TEST_PG_URL,
    { batchSize: 8, pollMs: 50, logLevel: "info" },
    { logger, pgSchema: schema },
  );
}, 120_000);

afterAll(async () => {
  await indexer?.stop();
  await f?.close();
  await admin?.end();
});

/** The indexer's session waiting on a lock in a statement matching `query`, once there is one. */
async function waitingBackend(query: string): Promise<number> {
  let pid: number | undefined;
  await expect
    .poll(
      async () => {
        const rows = await admin`
          SELECT pid FROM pg_stat_activity
          WHERE application_name = 'sns-indexer' AND datname = current_database()
            AND wait_event_type = 'Lock' AND query ILIKE ${`%${query}%`}`;
        pid = rows[0]?.pid as number | undefined;
        return pid;
      },
      { timeout: 20_000, interval: 20 },
    )
    .toBeDefined();
  return pid!;
}

/** Runs `hold` while a test transaction holds `lock` (SQL run inside it), until `release` resolves. */
function holdLock(lock: string) {
  const released = deferred();
  const locked = deferred();
  const done = admin.begin(async (tx) => {
    await tx.unsafe(lock);
    locked.resolve();
    await released.promise;
  });
  return {
    ready: locked.promise,
    release: async () => {
      released.resolve();
      await done;
    },
  };
}

describe("PostgreSQL connection lost (pg_terminate_backend)", () => {
  it("a commit cut mid-transaction leaves nothing behind; the indexer reconnects and goes on without a restart", async () => {
    const cursorBefore = indexer.follower.indexedTo;
    // The batch's events go in, then its cursor update waits on this row lock: mid-transaction.
    const lock = holdLock(`SELECT * FROM "${schema}".meta WHERE key = 'cursor' FOR UPDATE`);
    await lock.ready;
    const key = await f.registerNode({ operatorIndex: 1 });
    const pid = await waitingBackend("meta");
    // The cut transaction had already inserted the batch's events (it waits after them).
    const [row] = await admin`SELECT pg_terminate_backend(${pid}) AS terminated`;
    expect(row?.terminated).toBe(true);
    // Nothing of the cut transaction stayed (checked while the lock still holds any retry back):
    // no event past the stored cursor, though the events were written before the cursor update.
    const [meta] = await admin.unsafe(`SELECT value FROM "${schema}".meta WHERE key = 'cursor'`);
    const cursor = Number((meta as { value: string } | undefined)?.value);
    expect(cursor).toBe(cursorBefore);
    const [left] = await admin.unsafe(
      `SELECT count(*)::int AS beyond FROM "${schema}".events WHERE block_number > ${cursor}`,
    );
    expect((left as { beyond: number } | undefined)?.beyond).toBe(0);
    await lock.release();
    // Same process, new connection: the node is indexed, exactly once.
    await expect.poll(() => servedNodes(indexer.url), { timeout: 20_000, interval: 50 }).toContain(key);
    expect(await indexedEventKeys(indexer.url)).toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
    expect(logged("database unavailable")).toBe(1);
    expect(logged("database answering again")).toBe(1);
    const h = await health(indexer.url);
    expect(h.conditions.database).toEqual({ ok: true, lastError: null });
  }, 60_000);

  it("a read cut mid-query answers a clean 503; the next read succeeds", async () => {
    const before = await indexedEventKeys(indexer.url);
    const lock = holdLock(`LOCK TABLE "${schema}".events IN ACCESS EXCLUSIVE MODE`);
    await lock.ready;
    const pending = fetch(`${indexer.url}/v1/events?limit=5`);
    const pid = await waitingBackend("events");
    await admin`SELECT pg_terminate_backend(${pid})`;
    const res = await pending;
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: "SERVICE_UNAVAILABLE", message: "database unavailable; try again later" },
    });
    await lock.release();
    expect(await indexedEventKeys(indexer.url)).toEqual(before);
    // The node list is served from memory throughout.
    expect((await fetch(`${indexer.url}/v1/nodes`)).status).toBe(200);
  }, 60_000);

  it("every session of the indexer terminated while idle: the next operations reconnect", async () => {
    const [killed] = await admin`
      SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
      WHERE application_name = 'sns-indexer' AND datname = current_database()`;
    expect(killed?.n).toBeGreaterThan(0);
    const key = await f.registerNode({ operatorIndex: 1 });
    await expect.poll(() => servedNodes(indexer.url), { timeout: 20_000, interval: 50 }).toContain(key);
    // A read may still meet a pooled session the server ended (its goodbye not yet read by the
    // pool): that read answers 503 "try again later", as any read during database trouble, and
    // the next one is served from a new session.
    await expect
      .poll(() => indexedEventKeys(indexer.url).catch((err: unknown) => String(err)), {
        timeout: 20_000,
        interval: 50,
      })
      .toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
  }, 60_000);
});
