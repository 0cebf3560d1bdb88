// Backfill of a sparse ~10M-block span (30 days of Arbitrum at ~4 blocks/s) with adaptive
// eth_getLogs ranges. A stand-in provider answers with 20 ms latency per call (a remote RPC) and
// refuses ranges wider than 100k blocks, as hosted providers do; 200 events spread over the span.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { activationLog, syntheticChain, syntheticFollower } from "../test/synthetic-chain.ts";

const HEAD = 10_000_000;
const EVENTS = 200;
const LIMIT = 100_000;
const LATENCY_MS = 20;
const registry = "0x00000000000000000000000000000000000000aa";
const logs = Array.from({ length: EVENTS }, (_, i) => {
  const b = 1 + Math.floor((i * HEAD) / EVENTS) + (i % 7);
  return activationLog(b, registry, i + 1, i);
});
const { chain, calls: getLogsCalls } = syntheticChain({
  head: HEAD,
  logs,
  rangeLimit: LIMIT,
  latencyMs: LATENCY_MS,
});

const dir = mkdtempSync(join(tmpdir(), "indexer-sparse-"));
const { store, follower } = await syntheticFollower(chain, join(dir, "bench.sqlite"), {
  addresses: { registry, names: "0x00000000000000000000000000000000000000bb" },
  chainId: 421614n,
  batchSize: 2000,
  maxBatchSize: 1_000_000,
  reorgDepth: 16,
});
const t0 = performance.now();
await follower.syncOnce();
const secs = (performance.now() - t0) / 1000;
console.log(
  `  sparse span: ${HEAD.toLocaleString("en")} blocks, ${await store.eventCount()} events, adaptive eth_getLogs ` +
    `(2k → ≤1M blocks, provider limit ${LIMIT / 1000}k, ${LATENCY_MS} ms/call): ${secs.toFixed(1)} s, ` +
    `${getLogsCalls.length} getLogs calls (${getLogsCalls.filter((c) => c.refused).length} refused)`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
