// Backfill of a sparse ~10M-block span (30 days of Arbitrum at ~4 blocks/s) with adaptive
// eth_getLogs ranges. A stand-in provider answers with 20 ms latency per call (a remote RPC) and
// refuses ranges wider than 100k blocks, as hosted providers do; 200 events spread over the span.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceNodeRegistryAbi } from "@session/contracts";
import { createLogger } from "@session/service-kit";
import { Interface, type Log, type Provider } from "ethers";
import { openEventStore } from "../src/db/store.ts";
import { Follower } from "../src/domain/follower.ts";

const HEAD = 10_000_000;
const EVENTS = 200;
const LIMIT = 100_000;
const LATENCY_MS = 20;
const registry = "0x00000000000000000000000000000000000000aa";
const iface = new Interface(serviceNodeRegistryAbi as never);
const logs: Log[] = Array.from({ length: EVENTS }, (_, i) => {
  const b = 1 + Math.floor((i * HEAD) / EVENTS) + (i % 7);
  return {
    blockNumber: b,
    index: 0,
    blockHash: `0x${b.toString(16).padStart(64, "0")}`,
    transactionHash: `0x${i.toString(16).padStart(64, "0")}`,
    address: registry,
    ...iface.encodeEventLog("NodeActivated", [BigInt(i + 1)]),
  } as unknown as Log;
});
let calls = 0;
let refusals = 0;
const wait = () => new Promise((r) => setTimeout(r, LATENCY_MS));
const provider = {
  getBlockNumber: async () => {
    await wait();
    return HEAD;
  },
  getBlock: async (n: number) => {
    await wait();
    return { hash: `0x${n.toString(16).padStart(64, "0")}` };
  },
  getLogs: async (f: { fromBlock: number; toBlock: number }) => {
    await wait();
    calls++;
    if (f.toBlock - f.fromBlock + 1 > LIMIT) {
      refusals++;
      throw Object.assign(new Error(`block range too large, max ${LIMIT}`), { code: -32005 });
    }
    return logs.filter((l) => l.blockNumber >= f.fromBlock && l.blockNumber <= f.toBlock);
  },
} as unknown as Provider;

const dir = mkdtempSync(join(tmpdir(), "indexer-sparse-"));
const store = await openEventStore(`sqlite:${join(dir, "bench.sqlite")}`);
const follower = new Follower({
  provider,
  store,
  addresses: { registry, names: "0x00000000000000000000000000000000000000bb" },
  startBlock: 1,
  chainId: 421614n,
  batchSize: 2000,
  maxBatchSize: 1_000_000,
  confirmations: 0,
  reorgDepth: 16,
  logger: createLogger({ name: "bench", level: "silent" }),
});
await follower.init();
const t0 = performance.now();
await follower.syncOnce();
const secs = (performance.now() - t0) / 1000;
console.log(
  `  sparse span: ${HEAD.toLocaleString("en")} blocks, ${await store.eventCount()} events, adaptive eth_getLogs ` +
    `(2k → ≤1M blocks, provider limit ${LIMIT / 1000}k, ${LATENCY_MS} ms/call): ${secs.toFixed(1)} s, ` +
    `${calls} getLogs calls (${refusals} refused)`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
