import { serviceNodeRegistryAbi } from "@session/contracts";
import { createLogger } from "@session/service-kit";
import { Interface } from "ethers";
import { openEventStore } from "../src/db/store.ts";
import { Follower, type FollowerOptions } from "../src/domain/follower.ts";
import { type ChainClient, type ChainLog, ChainRpcError } from "../src/index.ts";

/** Hash of synthetic block `n` (its number, zero-padded). */
export const syntheticHash = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const EMPTY_BLOOM = `0x${"00".repeat(256)}`;

/** A log of `address` in block `block` (encoded by an ethers Interface: `{ topics, data }`). */
export function syntheticLog(
  block: number,
  logIndex: number,
  address: string,
  encoded: { topics: readonly string[]; data: string },
  tx = block * 1000 + logIndex,
): ChainLog {
  return {
    address: address.toLowerCase(),
    topics: [...encoded.topics],
    data: encoded.data,
    blockNumber: block,
    blockHash: syntheticHash(block),
    transactionHash: syntheticHash(tx),
    logIndex,
  };
}

const registryIface = new Interface(serviceNodeRegistryAbi as never);

/** The registry's NodeActivated log for node `nodeId`, alone in its block and transaction `tx`. */
export function activationLog(block: number, registry: string, nodeId: number, tx: number): ChainLog {
  return syntheticLog(
    block,
    0,
    registry,
    registryIface.encodeEventLog("NodeActivated", [BigInt(nodeId)]),
    tx,
  );
}

export interface SyntheticChainOptions {
  head: number;
  /** In chain order. */
  logs: readonly ChainLog[];
  /** eth_getLogs ranges wider than this are refused, as hosted providers do. */
  rangeLimit?: number;
  /** Added to every call (a remote RPC). */
  latencyMs?: number;
  chainId?: bigint;
}

/**
 * A chain client over synthetic blocks and logs (benchmarks, range tests): answers are what a
 * provider would send after validation, so the follower's own cost is what is measured.
 */
export function syntheticChain(o: SyntheticChainOptions) {
  const calls: { from: number; to: number; refused: boolean }[] = [];
  const wait = () => (o.latencyMs ? new Promise((r) => setTimeout(r, o.latencyMs)) : Promise.resolve());
  // First log at or after block `b` (logs are sorted by block).
  const firstAt = (b: number) => {
    let lo = 0;
    let hi = o.logs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (o.logs[mid]!.blockNumber < b) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const chain: ChainClient = {
    async chainId() {
      await wait();
      return o.chainId ?? 421614n;
    },
    async blockNumber() {
      await wait();
      return o.head;
    },
    async block(n) {
      await wait();
      return { number: n, hash: syntheticHash(n), parentHash: syntheticHash(n - 1), logsBloom: EMPTY_BLOOM };
    },
    async logs(q) {
      await wait();
      const refused = o.rangeLimit !== undefined && q.toBlock - q.fromBlock + 1 > o.rangeLimit;
      calls.push({ from: q.fromBlock, to: q.toBlock, refused });
      if (refused)
        throw new ChainRpcError(
          "RPC_RANGE_REFUSED",
          `eth_getLogs: block range too large, max ${o.rangeLimit}`,
        );
      const watched = new Set(q.addresses.map((a) => a.toLowerCase()));
      return o.logs.slice(firstAt(q.fromBlock), firstAt(q.toBlock + 1)).filter((l) => watched.has(l.address));
    },
  };
  return { chain, calls };
}

/**
 * A follower of `chain` into a new SQLite store at `path`, initialised: from block 1, with no
 * confirmations, logging nothing; `options` gives the contracts, batch and reorg depth (and more).
 */
export async function syntheticFollower(
  chain: ChainClient,
  path: string,
  options: Pick<FollowerOptions, "addresses" | "batchSize" | "reorgDepth"> & Partial<FollowerOptions>,
) {
  const store = await openEventStore(`sqlite:${path}`);
  const follower = new Follower({
    chain,
    store,
    startBlock: 1,
    confirmations: 0,
    logger: createLogger({ name: "synthetic", level: "silent" }),
    ...options,
  });
  await follower.init();
  return { store, follower };
}
