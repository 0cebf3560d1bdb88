import { serviceNodeRegistryAbi, sessionNameServiceAbi } from "@session/contracts/abis";
import { Interface, type Log, type Provider } from "ethers";
import type { Logger } from "pino";
import type { BlockRef, EventStore, StoredEvent } from "../db/store.ts";
import { AdaptiveLogRange, isRangeRefusal } from "./log-range.ts";
import { withRetry } from "./retry.ts";
import { ChainState } from "./state.ts";

export interface FollowerOptions {
  provider: Provider;
  store: EventStore;
  addresses: { registry: string; names: string };
  /** First block that can hold contract events (the deployment block). */
  startBlock: number;
  /** Blocks per eth_getLogs call to start with. */
  batchSize: number;
  /** Largest span the backfill grows to over empty ranges (default batchSize: no growth). */
  maxBatchSize?: number;
  /** Blocks behind the head that count as final; nothing newer is indexed. */
  confirmations: number;
  /** How many recent block hashes to keep for reorg detection. */
  reorgDepth: number;
  logger: Logger;
  onBatch?: (info: { from: number; to: number; target: number; events: number }) => void;
  onReorg?: (info: { from: number; forkBlock: number }) => void;
  retry?: { attempts?: number; baseMs?: number };
  /** Chain id node key proofs are bound to; read from the provider when absent. */
  chainId?: bigint;
}

const registryIface = new Interface(serviceNodeRegistryAbi as never);
const namesIface = new Interface(sessionNameServiceAbi as never);

function argsJson(parsed: ReturnType<Interface["parseLog"]>): string {
  const out: Record<string, unknown> = {};
  if (!parsed) return "{}";
  parsed.fragment.inputs.forEach((input, i) => {
    out[input.name] = parsed.args[i];
  });
  // ethers Results (arrays) and bigints become plain JSON; bigints as decimal strings.
  return JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * Follows the staking and naming contracts: backfills from the deployment block in bounded
 * batches, then keeps up with new blocks; detects reorgs by comparing stored block hashes with the
 * chain and rolls back to the fork point. Each batch (events + block hashes + cursor) is committed
 * in one transaction, so a restart resumes exactly where the last commit ended.
 */
export class Follower {
  state = new ChainState();
  head = 0;
  chainId: bigint | undefined;
  private cursor: number | null = null;
  readonly range: AdaptiveLogRange;

  constructor(private readonly o: FollowerOptions) {
    this.range = new AdaptiveLogRange(o.batchSize, Math.max(o.batchSize, o.maxBatchSize ?? o.batchSize));
  }

  /** Loads the cursor and rebuilds the in-memory state from stored events. */
  async init(): Promise<void> {
    this.chainId =
      this.o.chainId ?? (await this.rpc("getNetwork", () => this.o.provider.getNetwork())).chainId;
    this.cursor = await this.o.store.cursor();
    await this.rebuild();
  }

  get registryAddress(): string {
    return this.o.addresses.registry;
  }

  get indexedTo(): number {
    return this.cursor ?? this.o.startBlock - 1;
  }

  private async rebuild() {
    const state = this.newState();
    let after: { blockNumber: number; logIndex: number } | null = null;
    for (;;) {
      const page = await this.o.store.eventsAfter(after, 5000);
      for (const ev of page) state.apply(ev);
      if (page.length < 5000) break;
      const last = page[page.length - 1]!;
      after = { blockNumber: last.blockNumber, logIndex: last.logIndex };
    }
    this.state = state;
  }

  private newState(): ChainState {
    return new ChainState(
      this.chainId === undefined ? undefined : { chainId: this.chainId, registry: this.o.addresses.registry },
    );
  }

  private rpc<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(fn, { ...this.o.retry, logger: this.o.logger, what, ...(signal ? { signal } : {}) });
  }

  private async blockHash(n: number, signal?: AbortSignal): Promise<string> {
    const b = await this.rpc("getBlock", () => this.o.provider.getBlock(n), signal);
    if (!b?.hash) throw new Error(`block ${n} not found`);
    return b.hash;
  }

  /** Checks the newest stored blocks against the chain; rolls back to the fork point if needed. */
  private async checkReorg(signal?: AbortSignal): Promise<boolean> {
    const recent = await this.o.store.recentBlocks(this.o.reorgDepth);
    if (recent.length === 0 || this.cursor === null) return false;
    const newest = recent[0]!;
    if ((await this.blockHash(newest.number, signal)) === newest.hash) return false;
    let fork = this.o.startBlock - 1;
    for (const b of recent.slice(1)) {
      if ((await this.blockHash(b.number, signal)) === b.hash) {
        fork = b.number;
        break;
      }
    }
    this.o.logger.warn({ from: this.cursor, forkBlock: fork }, "chain reorganisation: rolling back");
    this.o.onReorg?.({ from: this.cursor, forkBlock: fork });
    await this.o.store.rollbackTo(fork);
    this.cursor = fork;
    await this.rebuild();
    return true;
  }

  private decode(log: Log): StoredEvent | null {
    const isRegistry = log.address.toLowerCase() === this.o.addresses.registry.toLowerCase();
    const iface = isRegistry ? registryIface : namesIface;
    let parsed: ReturnType<Interface["parseLog"]>;
    try {
      parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      return null;
    }
    if (!parsed) return null;
    return {
      blockNumber: log.blockNumber,
      logIndex: log.index,
      blockHash: log.blockHash,
      txHash: log.transactionHash,
      contract: isRegistry ? "registry" : "names",
      name: parsed.name,
      args: argsJson(parsed),
    };
  }

  /** Indexes everything final that is not indexed yet. Returns how far it got. */
  async syncOnce(signal?: AbortSignal): Promise<{ indexedTo: number; events: number; reorged: boolean }> {
    const reorged = await this.checkReorg(signal);
    this.head = await this.rpc("getBlockNumber", () => this.o.provider.getBlockNumber(), signal);
    const target = this.head - this.o.confirmations;
    let total = 0;
    while (this.indexedTo < target) {
      signal?.throwIfAborted();
      const from = this.indexedTo + 1;
      const to = Math.min(from + this.range.size - 1, target);
      // A refused range is not retried as is: it is asked again in halves (no backoff).
      const answer = await this.rpc(
        "getLogs",
        async () => {
          try {
            return {
              refused: undefined,
              logs: await this.o.provider.getLogs({
                address: [this.o.addresses.registry, this.o.addresses.names],
                fromBlock: from,
                toBlock: to,
              }),
            };
          } catch (err) {
            if (isRangeRefusal(err)) return { refused: err, logs: undefined };
            throw err;
          }
        },
        signal,
      );
      const logs = answer.logs;
      if (!logs) {
        this.range.refused();
        continue;
      }
      this.range.answered(logs.length);
      const events = logs.map((l) => this.decode(l)).filter((e): e is StoredEvent => e !== null);
      // Hashes for reorg detection: every block near the head, else just the batch's last block.
      const blocks: BlockRef[] = [];
      const hashFrom = Math.max(from, this.head - this.o.reorgDepth);
      for (let n = Math.max(hashFrom, to - this.o.reorgDepth + 1); n <= to; n++) {
        blocks.push({ number: n, hash: await this.blockHash(n, signal) });
      }
      if (blocks.length === 0 || blocks[blocks.length - 1]!.number !== to) {
        blocks.push({ number: to, hash: await this.blockHash(to, signal) });
      }
      await this.o.store.commitBatch({ events, blocks, cursor: to });
      this.cursor = to;
      for (const ev of events) this.state.apply(ev);
      total += events.length;
      this.o.onBatch?.({ from, to, target, events: events.length });
    }
    await this.o.store.pruneBlocksBelow(this.head - 2 * this.o.reorgDepth);
    return { indexedTo: this.indexedTo, events: total, reorged };
  }

  /** Follows the chain until `signal` aborts; RPC failures are retried, then logged and retried later. */
  async run(pollMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.syncOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.o.logger.error({ err: String(err) }, "sync failed; will retry");
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        }, pollMs);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  }
}
