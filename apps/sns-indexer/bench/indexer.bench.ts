// Backfill of 100k synthetic contract events (a stand-in JSON-RPC provider serves pre-encoded
// logs, so the figure is the indexer's own cost: decode, SQLite commit, state fold), then the
// node-list API under 16 concurrent clients.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceNodeRegistryAbi } from "@session/contracts";
import { createLogger } from "@session/service-kit";
import { hexlify, Interface, randomBytes } from "ethers";
import { openEventStore } from "../src/db/store.ts";
import { Follower } from "../src/domain/follower.ts";
import type { ChainLog } from "../src/index.ts";
import { createApp } from "../src/server.ts";
import { syntheticChain, syntheticLog } from "../test/synthetic-chain.ts";

const EVENTS = 100_000;
const PER_BLOCK = 20;
const registry = "0x00000000000000000000000000000000000000aa";
const names = "0x00000000000000000000000000000000000000bb";
const iface = new Interface(serviceNodeRegistryAbi as never);
const blocks = Math.ceil(EVENTS / PER_BLOCK);
const logs: ChainLog[] = [];
const op = "0x0000000000000000000000000000000000000001";
// 2,000 nodes registered and activated, then endpoint updates up to 100k events in all.
const NODES = 2000;
const encoded: { topics: string[]; data: string }[] = [];
for (let i = 0; i < NODES; i++) {
  const id = BigInt(i + 1);
  encoded.push(
    iface.encodeEventLog("NodeRegistered", [
      id,
      op,
      hexlify(randomBytes(32)),
      hexlify(randomBytes(32)),
      0x7f000001,
      20000 + i,
      100,
      1000n,
    ]),
    iface.encodeEventLog("NodeActivated", [id]),
  );
}
while (encoded.length < EVENTS) {
  const i: number = encoded.length;
  encoded.push(
    iface.encodeEventLog("NodeEndpointUpdated", [BigInt((i % NODES) + 1), 0x7f000001, 30000 + (i % 20000)]),
  );
}
for (const [n, e] of encoded.entries()) {
  const block = Math.floor(n / PER_BLOCK) + 1;
  logs.push(syntheticLog(block, n % PER_BLOCK, registry, e, n));
}
const { chain } = syntheticChain({ head: blocks, logs });

const dir = mkdtempSync(join(tmpdir(), "indexer-bench-"));
const store = await openEventStore(`sqlite:${join(dir, "bench.sqlite")}`);
const logger = createLogger({ name: "bench", level: "silent" });
const follower = new Follower({
  chain,
  store,
  addresses: { registry, names },
  startBlock: 1,
  chainId: 421614n,
  batchSize: 500,
  confirmations: 0,
  reorgDepth: 16,
  logger,
});
await follower.init();
const t0 = performance.now();
await follower.syncOnce();
const secs = (performance.now() - t0) / 1000;
console.log("sns-indexer benchmark");
console.log(
  `  backfill: ${blocks} blocks, ${EVENTS} events in ${secs.toFixed(2)} s → ${(blocks / secs).toFixed(0)} blocks/s, ${(EVENTS / secs).toFixed(0)} events/s`,
);
console.log(`  active nodes after backfill: ${follower.state.activeNodeInfos().length}`);

const { app } = createApp({ follower, logger });
const { startServer } = await import("@session/service-kit");
const server = await startServer(app, { port: 0 });
let done = 0;
const t1 = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (performance.now() - t1 < 3000) {
      const r = await fetch(`${server.url}/v1/nodes`, { headers: { "if-none-match": "x" } });
      await r.arrayBuffer();
      done++;
    }
  }),
);
console.log(
  `  GET /v1/nodes (${follower.state.activeNodeInfos().length} nodes, full body): ${(done / ((performance.now() - t1) / 1000)).toFixed(0)} req/s`,
);
const etag = (await fetch(`${server.url}/v1/nodes`)).headers.get("etag")!;
let done304 = 0;
const t2 = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (performance.now() - t2 < 2000) {
      await (await fetch(`${server.url}/v1/nodes`, { headers: { "if-none-match": etag } })).arrayBuffer();
      done304++;
    }
  }),
);
console.log(
  `  GET /v1/nodes with a matching ETag (304): ${(done304 / ((performance.now() - t2) / 1000)).toFixed(0)} req/s`,
);
await server.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
