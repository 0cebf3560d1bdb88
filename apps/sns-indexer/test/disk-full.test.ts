// The indexer's disk fills up, for real: its SQLite database lives on a size-limited tmpfs (root
// can mount one) that the test fills with a file. Indexing must pause with a clear condition in
// /health and /metrics, logged once, reads keep being served, and indexing resumes by itself
// when space returns, with nothing lost or doubled. Without root (or mount), the suite is skipped
// locally and fails under CI=true.
import { join } from "node:path";
import {
  capturedLogs,
  describeOnPgSmallTablespace,
  describeOnSmallDisk,
  testApplicationName,
} from "@session/service-kit/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningIndexer } from "../src/index.ts";
import { chainFixture, type Fixture } from "./chain-fixture.ts";
import {
  chainEventKeys,
  health,
  indexedEventKeys,
  metric,
  servedNodes,
  startFixtureIndexer,
} from "./helpers.ts";

const { logger, logged } = capturedLogs("sns-indexer-test");

describeOnSmallDisk("indexer on a full disk (tmpfs)", 4 * 1024 * 1024, (disk) => {
  let f: Fixture;
  let indexer: RunningIndexer;

  beforeAll(async () => {
    f = await chainFixture();
    await f.registerNode({ operatorIndex: 1 });
    const db = `sqlite:${join(disk().dir, "indexer.sqlite")}`;
    indexer = await startFixtureIndexer(f, db, { batchSize: 8, pollMs: 50, logLevel: "info" }, { logger });
  }, 120_000);

  afterAll(async () => {
    await indexer?.stop();
    await f?.close();
  });

  it("pauses indexing with disk_full in /health and /metrics, keeps serving, resumes when space returns", async () => {
    const before = await servedNodes(indexer.url);
    await disk().fill();
    const key = await f.registerNode({ operatorIndex: 1 });
    await expect
      .poll(async () => (await health(indexer.url)).conditions.disk_full.active, {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(true);
    expect(await metric(indexer.url, "sns_indexer_disk_full")).toBe(1);
    const h = await health(indexer.url);
    expect(h.status).toBe("degraded");
    expect(h.conditions.disk_full.since).not.toBeNull();
    // Reads are served from what was indexed; the new node waits.
    expect(await servedNodes(indexer.url)).toEqual(before);
    expect(await indexedEventKeys(indexer.url)).toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
    expect(indexer.follower.lagBlocks).toBeGreaterThan(0);
    // Space returns: indexing resumes by itself, nothing lost, nothing doubled.
    await disk().free();
    await expect.poll(() => servedNodes(indexer.url), { timeout: 30_000, interval: 50 }).toContain(key);
    expect(await metric(indexer.url, "sns_indexer_disk_full")).toBe(0);
    expect(await indexedEventKeys(indexer.url)).toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
    expect(logged("disk full")).toBe(1);
    expect(logged("disk space available again")).toBe(1);
  }, 90_000);
});

await describeOnPgSmallTablespace(
  "indexer on PostgreSQL with a full disk (its tables in a tablespace on a 1 MiB tmpfs)",
  { sizeBytes: 1024 * 1024, schemaPrefix: "sns_disk_full" },
  (ts, { url: pgUrl, schema }) => {
    const log = capturedLogs("sns-indexer-test");
    let f: Fixture;
    let indexer: RunningIndexer;

    beforeAll(async () => {
      f = await chainFixture();
      await f.registerNode({ operatorIndex: 1 });
      indexer = await startFixtureIndexer(
        f,
        pgUrl,
        { batchSize: 8, pollMs: 50, maxBackoffMs: 500, logLevel: "info" },
        // Its own application_name: pg-loss.test.ts, maybe running beside it, kills every
        // "sns-indexer" session.
        {
          logger: log.logger,
          pgSchema: schema,
          pgApplicationName: testApplicationName("sns-indexer-disk-full"),
        },
      );
      await ts().moveSchema(schema);
    }, 120_000);

    afterAll(async () => {
      await indexer?.stop();
      await f?.close();
    }, 30_000);

    it("pauses indexing on SQLSTATE 53100 with disk_full in /health and /metrics, keeps serving, resumes when space returns", async () => {
      const { url } = indexer;
      await ts().fill();
      // Rows that fit in pages already there still go in: nodes register until a write needs a
      // new page and PostgreSQL refuses it.
      const registered: string[] = [];
      for (let i = 0; i < 40 && !(await health(url)).conditions.disk_full.active; i++) {
        const key = await f.registerNode({ operatorIndex: 1 });
        registered.push(key);
        await expect
          .poll(
            async () =>
              (await health(url)).conditions.disk_full.active || (await servedNodes(url)).includes(key),
            { timeout: 20_000, interval: 50 },
          )
          .toBe(true);
      }
      const h = await health(url);
      expect(h.conditions.disk_full.active).toBe(true);
      expect(h.status).toBe("degraded");
      expect(await metric(url, "sns_indexer_disk_full")).toBe(1);
      // Served from what was indexed: every event up to the cursor, nothing of the refused batch.
      const indexedTo = indexer.follower.indexedTo;
      expect(await indexedEventKeys(url)).toEqual(await chainEventKeys(f, indexedTo));
      const served = await servedNodes(url);
      expect(served).not.toContain(registered.at(-1));
      expect(indexer.follower.lagBlocks).toBeGreaterThan(0);

      // Space returns: indexing resumes by itself, nothing lost, nothing doubled.
      await ts().free();
      await expect
        .poll(() => servedNodes(url), { timeout: 30_000, interval: 50 })
        .toEqual(expect.arrayContaining(registered));
      expect(await metric(url, "sns_indexer_disk_full")).toBe(0);
      expect(await indexedEventKeys(url)).toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
      expect(log.logged("disk full")).toBe(1);
      expect(log.logged("disk space available again")).toBe(1);
      expect(JSON.stringify(log.lines)).toContain('"code":"53100"');
    }, 120_000);
  },
);
