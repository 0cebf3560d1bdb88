import { backoffMs } from "@session/service-kit";
import type { Logger } from "pino";
import type { ChainBlock, ChainClient } from "../chain/chain-client.ts";
import { ChainRpcError } from "../chain/errors.ts";
import type { BlockRef, EventStore, StoredEvent } from "../db/store.ts";
import { IndexerConditions } from "./conditions.ts";
import { decodeContractEvent } from "./contract-events.ts";
import { fetchLogBatch, type LogBatch } from "./log-batch.ts";
import { AdaptiveLogRange } from "./log-range.ts";
import { sleep, withRetry } from "./retry.ts";
import { ChainState } from "./state.ts";

export interface FollowerOptions {
  chain: ChainClient;
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
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
  /** Chain id node key proofs are bound to; read from the chain (and stored) when absent. */
  chainId?: bigint;
  /** Health of the chain RPC and the database (/health, /metrics); one is made when absent. */
  conditions?: IndexerConditions;
}

const CHAIN_ID = "chain_id";

/**
 * Follows the staking and naming contracts: backfills from the deployment block in bounded
 * batches, then keeps up with new blocks; detects reorgs by comparing stored block hashes with the
 * chain and rolls back to the fork point. Each batch (events + block hashes + cursor) is committed
 * in one transaction, so a restart resumes exactly where the last commit ended. Chain answers are
 * validated (chain-client.ts); a failing RPC or database pauses indexing, never the API.
 */
export class Follower {
  state = new ChainState();
  /** Last head the chain reported (0 before the first answer). */
  head = 0;
  /**
   * Timestamp of the last indexed block (unix seconds; 0 until known): the chain's own clock, which
   * decides when a name expires. It runs ahead of the wall clock on a chain whose time was moved
   * forward (a devnet's `evm_increaseTime`).
   */
  chainTime = 0;
  chainId: bigint | undefined;
  readonly conditions: IndexerConditions;
  readonly range: AdaptiveLogRange;
  private cursor: number | null = null;
  private chainIdChecked = false;
  private chainTimeAsked = false;
  private readonly watched: string[];

  constructor(private readonly o: FollowerOptions) {
    this.range = new AdaptiveLogRange(o.batchSize, Math.max(o.batchSize, o.maxBatchSize ?? o.batchSize));
    this.conditions = o.conditions ?? new IndexerConditions(o.logger);
    this.watched = [o.addresses.registry.toLowerCase(), o.addresses.names.toLowerCase()];
  }

  /**
   * Loads the cursor and rebuilds the in-memory state from stored events. Needs the database, not
   * the chain: with a chain id stored by an earlier run, a restart while the RPC is down serves what
   * is indexed (the id is checked against the chain at the first sync).
   */
  async init(): Promise<void> {
    this.cursor = await this.db(() => this.o.store.cursor(), false);
    const stored = await this.db(() => this.o.store.getMeta(CHAIN_ID), false);
    this.chainId = this.o.chainId ?? (stored === null ? undefined : BigInt(stored));
    this.chainIdChecked = this.o.chainId !== undefined && stored === this.o.chainId.toString();
    await this.rebuild();
  }

  get registryAddress(): string {
    return this.o.addresses.registry;
  }

  get indexedTo(): number {
    return this.cursor ?? this.o.startBlock - 1;
  }

  /** Blocks between the last known head and the last indexed block. */
  get lagBlocks(): number {
    return Math.max(0, this.head - this.indexedTo);
  }

  private async rebuild() {
    const state = this.newState();
    let after: { blockNumber: number; logIndex: number } | null = null;
    for (;;) {
      const from = after;
      const page: StoredEvent[] = await this.db(() => this.o.store.eventsAfter(from, 5000), false);
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

  /**
   * A chain call with backoff; failures are reported to the conditions (a whole sync that gets
   * through reports success: one call answering while another keeps failing is not "up").
   */
  private async rpc<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const result = await withRetry(fn, {
      ...this.o.retry,
      logger: this.o.logger,
      what,
      ...(signal ? { signal } : {}),
      onFailure: (err) => {
        if (!(err instanceof ChainRpcError && err.code === "RPC_RANGE_REFUSED"))
          this.conditions.rpcFailed(err);
      },
    });
    return result;
  }

  /** A database call; failures (lost connection, full disk) are reported, then rethrown. */
  private async db<T>(fn: () => Promise<T>, write = true): Promise<T> {
    try {
      const r = await fn();
      this.conditions.dbSucceeded(write);
      return r;
    } catch (err) {
      this.conditions.dbFailed(err);
      throw err;
    }
  }

  private block(n: number, signal?: AbortSignal): Promise<ChainBlock> {
    return this.rpc("eth_getBlockByNumber", () => this.o.chain.block(n, signal), signal);
  }

  /** Reads the chain id; a database indexed from another chain is refused, a first one is stored. */
  private async checkChainId(signal?: AbortSignal): Promise<void> {
    const id = await this.rpc("eth_chainId", () => this.o.chain.chainId(signal), signal);
    const stored = await this.db(() => this.o.store.getMeta(CHAIN_ID), false);
    if (stored !== null && BigInt(stored) !== id)
      throw new Error(`the database was indexed from chain ${stored}, the RPC serves chain ${id}`);
    if (this.o.chainId !== undefined && this.o.chainId !== id)
      throw new Error(`configured for chain ${this.o.chainId}, the RPC serves chain ${id}`);
    if (stored === null) await this.db(() => this.o.store.setMeta(CHAIN_ID, id.toString()));
    const changed = this.chainId !== id;
    this.chainId = id;
    this.chainIdChecked = true;
    if (changed) await this.rebuild();
  }

  /** Checks the newest stored blocks against the chain; rolls back to the fork point if needed. */
  private async checkReorg(signal?: AbortSignal): Promise<boolean> {
    const recent = await this.db(() => this.o.store.recentBlocks(this.o.reorgDepth), false);
    if (recent.length === 0 || this.cursor === null) return false;
    const newest = recent[0]!;
    if ((await this.block(newest.number, signal)).hash === newest.hash.toLowerCase()) return false;
    // Deeper than the hashes kept: everything is indexed again from the start block.
    let fork = this.o.startBlock - 1;
    for (const b of recent.slice(1)) {
      if ((await this.block(b.number, signal)).hash === b.hash.toLowerCase()) {
        fork = b.number;
        break;
      }
    }
    this.o.logger.warn({ from: this.cursor, forkBlock: fork }, "chain reorganisation: rolling back");
    await this.db(() => this.o.store.rollbackTo(fork));
    this.o.onReorg?.({ from: this.cursor, forkBlock: fork });
    this.cursor = fork;
    await this.rebuild();
    return true;
  }

  /** Indexes everything final that is not indexed yet. Returns how far it got. */
  async syncOnce(signal?: AbortSignal): Promise<{ indexedTo: number; events: number; reorged: boolean }> {
    if (!this.chainIdChecked) await this.checkChainId(signal);
    const reorged = await this.checkReorg(signal);
    this.head = await this.rpc("eth_blockNumber", () => this.o.chain.blockNumber(signal), signal);
    const target = this.head - this.o.confirmations;
    let total = 0;
    while (this.indexedTo < target) {
      signal?.throwIfAborted();
      const from = this.indexedTo + 1;
      const to = Math.min(from + this.range.size - 1, target);
      let batch: LogBatch;
      try {
        // The whole batch (logs, headers, coverage checks) is asked again on any failure.
        const near = { head: this.head, reorgDepth: this.o.reorgDepth };
        const read = () => fetchLogBatch(this.o.chain, this.watched, { from, to }, near, signal);
        batch = await this.rpc("batch", read, signal);
      } catch (err) {
        // A refused range is not retried as is: it is asked again in halves (no backoff).
        if (err instanceof ChainRpcError && err.code === "RPC_RANGE_REFUSED") {
          this.range.refused();
          continue;
        }
        throw err;
      }
      const { logs, headers } = batch;
      const lastTime = headers[headers.length - 1]?.timestamp;
      if (lastTime !== undefined) this.chainTime = lastTime;
      this.range.answered(logs.length);
      const events = logs
        .map((l) => decodeContractEvent(l, this.watched[0]!))
        .filter((e): e is StoredEvent => e !== null);
      const blocks: BlockRef[] = headers.map((h) => ({ number: h.number, hash: h.hash }));
      await this.db(() => this.o.store.commitBatch({ events, blocks, cursor: to }));
      this.cursor = to;
      for (const ev of events) this.state.apply(ev);
      total += events.length;
      this.o.onBatch?.({ from, to, target, events: events.length });
    }
    if (this.chainTime === 0 && !this.chainTimeAsked && this.indexedTo > 0) {
      // Restarted with nothing new to index: the time of the block it stopped at, once.
      this.chainTimeAsked = true;
      const last = await this.rpc(
        "eth_getBlockByNumber",
        () => this.o.chain.block(this.indexedTo, signal),
        signal,
      );
      this.chainTime = last.timestamp ?? 0;
    }
    await this.db(() => this.o.store.pruneBlocksBelow(this.head - 2 * this.o.reorgDepth));
    this.conditions.rpcSucceeded();
    return { indexedTo: this.indexedTo, events: total, reorged };
  }

  /**
   * Follows the chain until `signal` aborts. A failed sync (RPC or database) is retried after
   * `pollMs`, doubling per consecutive failure up to `maxBackoffMs`; the conditions log it once.
   */
  async run(pollMs: number, signal: AbortSignal, maxBackoffMs = 30_000): Promise<void> {
    let failures = 0;
    let lastError = "";
    while (!signal.aborted) {
      try {
        await this.syncOnce(signal);
        failures = 0;
        lastError = "";
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        const text = String(err);
        if (text !== lastError) this.o.logger.warn({ err: text, failures }, "sync failed; will retry");
        lastError = text;
      }
      const wait = failures === 0 ? pollMs : backoffMs(failures, { baseMs: pollMs, maxMs: maxBackoffMs });
      await sleep(wait, signal).catch(() => {});
    }
  }
}
