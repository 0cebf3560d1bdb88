import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decryptNameRecord, fromHex, generateSeed, keypairFromSeed, nameHashHex } from "@session/crypto";
import { nodeInfoSchema } from "@session/protocol";
import { createLogger } from "@session/service-kit";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IndexerConfig } from "../src/config.ts";
import { openEventStore } from "../src/db/store.ts";
import { Follower } from "../src/domain/follower.ts";
import type { RunningIndexer } from "../src/index.ts";
import { chainFixture, type Fixture } from "./chain-fixture.ts";
import { chainEventKeys, indexedEventKeys, indexerTestConfig, startFixtureIndexer } from "./helpers.ts";

const logger = createLogger({ name: "sns-indexer-test", level: "silent" });
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const aliceId = keypairFromSeed(generateSeed()).sessionId;

for (const dialect of ["sqlite", "postgres"] as const) {
  describe(`indexer against an in-process chain (${dialect})`, () => {
    let f: Fixture;
    let indexer: RunningIndexer;
    let dir: string;
    const schema = `sns_test_${process.pid}_${Date.now()}`;
    const keys: string[] = [];
    /** The indexer on this dialect's database (the same file or schema across restarts). */
    const start = () => {
      const url = dialect === "sqlite" ? `sqlite:${join(dir, "indexer.sqlite")}` : PG_URL;
      return startFixtureIndexer(f, url, {}, { logger, pgSchema: schema });
    };

    beforeAll(async () => {
      f = await chainFixture();
      for (let i = 0; i < 6; i++) keys.push(await f.registerNode({ operatorIndex: 1 + (i % 3) }));
      await f.registerNode({ full: false }); // awaiting contributions: not in the node list
      await f.registerName("alice", aliceId);
      dir = mkdtempSync(join(tmpdir(), "sns-indexer-"));
      indexer = await start();
    }, 120_000);

    afterAll(async () => {
      await indexer?.stop();
      await f?.close();
      rmSync(dir, { recursive: true, force: true });
      if (dialect === "postgres") {
        const sql = postgres(PG_URL, { onnotice: () => {} });
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await sql.end();
      }
    });

    it("serves the active nodes with keys, endpoints and swarms, with an ETag", async () => {
      const res = await fetch(`${indexer.url}/v1/nodes`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { height: number; nodes: unknown[] };
      expect(body.nodes).toHaveLength(6);
      const nodes = body.nodes.map((n) => nodeInfoSchema.parse(n));
      expect(nodes.map((n) => n.pubkey_ed25519).sort()).toEqual([...keys].sort());
      expect(nodes.every((n) => n.public_ip === "127.0.0.1" && n.storage_port === 22000)).toBe(true);
      expect(new Set(nodes.map((n) => n.swarm_id)).size).toBeGreaterThanOrEqual(1);
      const etag = res.headers.get("etag")!;
      const again = await fetch(`${indexer.url}/v1/nodes`, { headers: { "if-none-match": etag } });
      expect(again.status).toBe(304);
    });

    it("serves node details, stats, the OpenAPI document and typed errors", async () => {
      const one = (await (await fetch(`${indexer.url}/v1/nodes/1`)).json()) as {
        status: string;
        contributors: unknown[];
      };
      expect(one.status).toBe("active");
      expect(one.contributors).toHaveLength(1);
      const awaiting = (await (await fetch(`${indexer.url}/v1/nodes/7`)).json()) as { status: string };
      expect(awaiting.status).toBe("awaiting");
      expect((await fetch(`${indexer.url}/v1/nodes/99`)).status).toBe(404);
      const bad = await fetch(`${indexer.url}/v1/nodes/abc`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
      const stats = (await (await fetch(`${indexer.url}/v1/stats`)).json()) as {
        nodes: { total: number; active: number };
        names: number;
      };
      expect(stats.nodes).toEqual({ total: 7, active: 6 });
      expect(stats.names).toBe(1);
      const doc = (await (await fetch(`${indexer.url}/openapi.json`)).json()) as {
        openapi: string;
        paths: object;
      };
      expect(doc.openapi).toBe("3.1.0");
      expect(Object.keys(doc.paths)).toContain("/v1/names/{nameHash}");
      expect(await (await fetch(`${indexer.url}/metrics`)).text()).toContain("sns_indexer_events_total");
    });

    it("serves a name's encrypted record that only the name decrypts", async () => {
      const res = await fetch(`${indexer.url}/v1/names/${nameHashHex("alice")}`);
      expect(res.status).toBe(200);
      const rec = (await res.json()) as { encryptedRecord: string; length: number };
      expect(rec.length).toBe(5);
      expect(decryptNameRecord("alice", fromHex(rec.encryptedRecord.slice(2)))).toBe(aliceId);
      expect((await fetch(`${indexer.url}/v1/names/${nameHashHex("bob")}`)).status).toBe(404);
      expect((await fetch(`${indexer.url}/v1/names/0x1234`)).status).toBe(400);
    });

    it("follows new blocks: a node that exits leaves the list", async () => {
      const id = Number(await f.registry.getFunction("nodeIdByEd25519")(`0x${keys[0]}`));
      const op = await f.chain.signer(1);
      await (await (f.registry.connect(op) as typeof f.registry).getFunction("requestExit")(id)).wait();
      await expect
        .poll(
          async () =>
            ((await (await fetch(`${indexer.url}/v1/nodes`)).json()) as { nodes: unknown[] }).nodes.length,
          {
            timeout: 10_000,
          },
        )
        .toBe(5);
    });

    it("pages through the stored events: every chain log once, in order; bad cursors refused; pages ETagged", async () => {
      const all = await chainEventKeys(f, indexer.follower.indexedTo);
      expect(await indexedEventKeys(indexer.url, 3)).toEqual(all);
      expect(await indexedEventKeys(indexer.url, 1000)).toEqual(all);
      const first = await fetch(`${indexer.url}/v1/events?limit=2`);
      const page = (await first.json()) as { events: unknown[]; next: string };
      expect(page.events).toHaveLength(2);
      expect(page.next).toMatch(/^\d+-\d+$/);
      const everything = (await (await fetch(`${indexer.url}/v1/events?limit=1000`)).json()) as {
        events: { name: string; args: { nodeId?: string } }[];
        next: string | null;
      };
      expect(everything.next).toBeNull();
      const registered = everything.events.filter((e) => e.name === "NodeRegistered");
      expect(registered.map((e) => e.args.nodeId)).toEqual(registered.map((_, i) => String(i + 1)));
      const etag = first.headers.get("etag")!;
      const again = await fetch(`${indexer.url}/v1/events?limit=2`, { headers: { "if-none-match": etag } });
      expect(again.status).toBe(304);
      for (const bad of ["limit=0", "limit=1001", "limit=x", "after=12", "after=a-b", "after=1-2-3"]) {
        const res = await fetch(`${indexer.url}/v1/events?${bad}`);
        expect(res.status, bad).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
      }
      const past = (await (await fetch(`${indexer.url}/v1/events?after=999999999-0`)).json()) as {
        events: unknown[];
        next: string | null;
      };
      expect(past).toEqual({ events: [], next: null });
    });

    it("ETags follow the content: a changed node list gets a new one, an old one no longer matches", async () => {
      const a = await fetch(`${indexer.url}/v1/nodes`);
      const etag = a.headers.get("etag")!;
      expect((await fetch(`${indexer.url}/v1/nodes`)).headers.get("etag")).toBe(etag);
      const key = await f.registerNode({ operatorIndex: 2 });
      await expect
        .poll(async () => (await fetch(`${indexer.url}/v1/nodes`)).headers.get("etag"), { timeout: 10_000 })
        .not.toBe(etag);
      const fresh = await fetch(`${indexer.url}/v1/nodes`, { headers: { "if-none-match": etag } });
      expect(fresh.status).toBe(200);
      expect(
        ((await fresh.json()) as { nodes: { pubkey_ed25519: string }[] }).nodes.map((n) => n.pubkey_ed25519),
      ).toContain(key);
      const name = await fetch(`${indexer.url}/v1/names/${nameHashHex("alice")}`);
      const nameAgain = await fetch(
        `${indexer.url}/v1/names/${nameHashHex("ALICE").toUpperCase().replace("0X", "0x")}`,
      );
      expect(nameAgain.status).toBe(200);
      expect(nameAgain.headers.get("etag")).toBe(name.headers.get("etag"));
    });

    it("restarts on its database: the same lists, ETags and events, nothing indexed twice", async () => {
      const nodes = await fetch(`${indexer.url}/v1/nodes`);
      const body = await nodes.text();
      const events = await indexedEventKeys(indexer.url);
      const indexedTo = indexer.follower.indexedTo;
      await indexer.stop();
      indexer = await start();
      expect(indexer.follower.indexedTo).toBeGreaterThanOrEqual(indexedTo);
      const after = await fetch(`${indexer.url}/v1/nodes`);
      expect(await after.text()).toBe(body);
      expect(after.headers.get("etag")).toBe(nodes.headers.get("etag"));
      expect(await indexedEventKeys(indexer.url)).toEqual(events);
      expect(events).toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
    }, 60_000);

    it("a name expires by the chain's clock, not the wall clock, also right after a restart", async () => {
      const alice = () => fetch(`${indexer.url}/v1/names/${nameHashHex("alice")}`).then((r) => r.status);
      expect(await alice()).toBe(200);
      await f.chain.provider.send("evm_increaseTime", [366 * 24 * 3600]); // past its one year
      await f.mine(1);
      await expect.poll(alice, { timeout: 10_000 }).toBe(404);
      expect(indexer.follower.chainTime).toBeGreaterThan(Date.now() / 1000 + 365 * 24 * 3600);
      await indexer.stop();
      indexer = await start();
      // Nothing new to index: the time of the block it stopped at.
      await expect.poll(() => indexer.follower.chainTime, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(await alice()).toBe(404);
    }, 60_000);
  });
}

describe("reorgs and restarts", () => {
  let f: Fixture;
  let dir: string;
  beforeAll(async () => {
    f = await chainFixture();
    dir = mkdtempSync(join(tmpdir(), "sns-reorg-"));
  }, 60_000);
  afterAll(async () => {
    await f?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const follower = async (db: string, extra: Partial<IndexerConfig> = {}) => {
    const c = indexerTestConfig(f, `sqlite:${join(dir, db)}`, extra);
    const store = await openEventStore(c.databaseUrl);
    const fl = new Follower({
      ...c,
      chain: f.client(),
      store,
      logger,
      retry: { attempts: 2, baseMs: 10 },
    });
    await fl.init();
    return { fl, store };
  };

  it("rolls back to the fork point and re-applies the new branch", async () => {
    const kept = await f.registerNode();
    const { fl, store } = await follower("reorg.sqlite");
    const snapshot = await f.chain.provider.send("evm_snapshot", []);
    const orphan = await f.registerNode();
    await fl.syncOnce();
    expect(fl.state.activeNodeInfos().map((n) => n.pubkey_ed25519)).toContain(orphan);
    // Replace the orphaned blocks with a longer branch holding a different node.
    await f.chain.provider.send("evm_revert", [snapshot]);
    const replacement = await f.registerNode();
    await f.mine(5);
    const r = await fl.syncOnce();
    expect(r.reorged).toBe(true);
    const active = fl.state.activeNodeInfos().map((n) => n.pubkey_ed25519);
    expect(active).toContain(kept);
    expect(active).toContain(replacement);
    expect(active).not.toContain(orphan);
    // What is stored matches a fresh index of the new chain.
    const fresh = await follower("fresh.sqlite");
    await fresh.fl.syncOnce();
    expect(await store.eventCount()).toBe(await fresh.store.eventCount());
    await store.close();
    await fresh.store.close();
  }, 60_000);

  it("resumes after being killed mid-backfill without duplicates or gaps", async () => {
    for (let i = 0; i < 10; i++) await f.registerNode({ operatorIndex: 1 + (i % 4) });
    const first = await follower("resume.sqlite", { batchSize: 2 });
    const abort = new AbortController();
    let batches = 0;
    const killed = new Follower({
      ...indexerTestConfig(f, "unused", { batchSize: 2 }),
      chain: f.client(),
      store: first.store,
      logger,
      onBatch: () => {
        if (++batches === 3) abort.abort();
      },
    });
    await killed.init();
    await expect(killed.syncOnce(abort.signal)).rejects.toThrow();
    const partial = await first.store.cursor();
    expect(partial).toBeGreaterThan(f.deployment.deploymentBlock);
    expect(partial).toBeLessThan(await f.chain.provider.getBlockNumber());

    const resumed = await follower("resume.sqlite", { batchSize: 2 });
    await resumed.fl.syncOnce();
    const logs = await f.chain.provider.getLogs({
      address: [f.deployment.serviceNodeRegistry, f.deployment.sessionNameService],
      fromBlock: f.deployment.deploymentBlock,
      toBlock: "latest",
    });
    expect(await resumed.store.eventCount()).toBe(logs.length);
    const fresh = await follower("fresh2.sqlite", { batchSize: 50 });
    await fresh.fl.syncOnce();
    expect(resumed.fl.state.activeNodeInfos()).toEqual(fresh.fl.state.activeNodeInfos());
    for (const s of [first.store, resumed.store, fresh.store]) await s.close();
  }, 60_000);
});
