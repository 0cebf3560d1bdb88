// The indexer's disk fills up, for real: its SQLite database lives on a size-limited tmpfs (root
// can mount one) that the test fills with a file. Indexing must pause with a clear condition in
// /health and /metrics, logged once, reads keep being served, and indexing resumes by itself
// when space returns, with nothing lost or doubled. Without root (or mount), the suite is skipped
// locally and fails under CI=true.
import { join } from "node:path";
import {
  capturedLogs,
  mountSmallDisk,
  pgSmallTablespace,
  requirePgSmallTablespace,
  requireSmallDisk,
  type SmallDisk,
  testApplicationName,
} from "@session/service-kit/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningIndexer, startIndexer } from "../src/index.ts";
import { chainFixture, type Fixture } from "./chain-fixture.ts";
import { chainEventKeys, health, indexedEventKeys, metric, servedNodes } from "./helpers.ts";

const { logger, logged } = capturedLogs("sns-indexer-test");
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

// Mounted in beforeAll, not at import: a run that filters this suite out leaves no mount behind.
describe.skipIf(!requireSmallDisk())("indexer on a full disk (tmpfs)", () => {
  let f: Fixture;
  let indexer: RunningIndexer;
  let disk: SmallDisk;

  beforeAll(async () => {
    disk = await mountSmallDisk(4 * 1024 * 1024);
    f = await chainFixture();
    await f.registerNode({ operatorIndex: 1 });
    indexer = await startIndexer(
      {
        rpcUrl: "http://unused",
        addresses: { registry: f.deployment.serviceNodeRegistry, names: f.deployment.sessionNameService },
        startBlock: f.deployment.deploymentBlock,
        databaseUrl: `sqlite:${join(disk.dir, "indexer.sqlite")}`,
        confirmations: 0,
        batchSize: 8,
        reorgDepth: 16,
        pollMs: 50,
        host: "127.0.0.1",
        port: 0,
        logLevel: "info",
      },
      { eip1193: f.chain.eip1193, logger },
    );
  }, 120_000);

  afterAll(async () => {
    await indexer?.stop();
    await f?.close();
    await disk?.unmount();
  });

  it("pauses indexing with disk_full in /health and /metrics, keeps serving, resumes when space returns", async () => {
    const before = await servedNodes(indexer.url);
    await disk.fill();
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
    await disk.free();
    await expect.poll(() => servedNodes(indexer.url), { timeout: 30_000, interval: 50 }).toContain(key);
    expect(await metric(indexer.url, "sns_indexer_disk_full")).toBe(0);
    expect(await indexedEventKeys(indexer.url)).toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
    expect(logged("disk full")).toBe(1);
    expect(logged("disk space available again")).toBe(1);
  }, 90_000);
});

describe.skipIf(!(await requirePgSmallTablespace(PG_URL)))(
  "indexer on PostgreSQL with a full disk (its tables in a tablespace on a 1 MiB tmpfs)",
  () => {
    const schema = `sns_disk_full_${process.pid}_${Date.now()}`;
    const log = capturedLogs("sns-indexer-test");
    let f: Fixture;
    let indexer: RunningIndexer;
    let ts: Awaited<ReturnType<typeof pgSmallTablespace>>;

    beforeAll(async () => {
      f = await chainFixture();
      await f.registerNode({ operatorIndex: 1 });
      ts = await pgSmallTablespace(PG_URL, 1024 * 1024);
      indexer = await startIndexer(
        {
          rpcUrl: "http://unused",
          addresses: { registry: f.deployment.serviceNodeRegistry, names: f.deployment.sessionNameService },
          startBlock: f.deployment.deploymentBlock,
          databaseUrl: PG_URL,
          confirmations: 0,
          batchSize: 8,
          reorgDepth: 16,
          pollMs: 50,
          maxBackoffMs: 500,
          host: "127.0.0.1",
          port: 0,
          logLevel: "info",
        },
        // Its own application_name: pg-loss.test.ts, maybe running beside it, kills every
        // "sns-indexer" session.
        {
          eip1193: f.chain.eip1193,
          logger: log.logger,
          pgSchema: schema,
          pgApplicationName: testApplicationName("sns-indexer-disk-full"),
        },
      );
      await ts.moveSchema(schema);
    }, 120_000);

    afterAll(async () => {
      await indexer?.stop();
      await f?.close();
      const admin = postgres(PG_URL, { onnotice: () => {}, max: 1 });
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
      await ts?.free();
      await ts?.drop();
    }, 30_000);

    it("pauses indexing on SQLSTATE 53100 with disk_full in /health and /metrics, keeps serving, resumes when space returns", async () => {
      const { url } = indexer;
      await ts.fill();
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
      await ts.free();
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
