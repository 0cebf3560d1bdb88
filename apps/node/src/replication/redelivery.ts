import type { NodeInfo } from "@session/protocol";
import { SingleFlight } from "@session/service-kit";
import type { StoredMessage } from "../storage/store.ts";
import { PeerError } from "./peer-error.ts";
import {
  DEFAULT_REPLICATION_PAGE,
  type ReplicationDeps,
  type ReplicationPage,
  toWire,
  wireBytes,
} from "./sync.ts";

export interface RedeliveryOptions {
  /** Messages waiting, all peers together; past this the oldest are given up. */
  maxQueued?: number;
  /** How long a message is retried (a peer down longer catches up when it starts). */
  maxAgeMs?: number;
  /**
   * How long a forwarded request (delete, expire, revoke…) is retried: a peer checks the client's
   * signature timestamp, ±70 s for a forwarded request, so later attempts could only fail.
   */
  maxForwardAgeMs?: number;
  /** Forwarded requests waiting, all peers together. */
  maxForwards?: number;
  page?: ReplicationPage;
}

export interface RedeliveryResult {
  delivered: number;
  /** Given up: too old, the queue full, the peer no longer in our swarm, or the message gone. */
  dropped: number;
}

/**
 * Second attempts for what a swarm peer did not take. A forward that timed out, failed, got a 5xx
 * or a 421 (the peer's registry view lagging ours) leaves a member without it while it stays up,
 * and nothing else would bring it: catch-up runs when a node starts or changes swarm.
 * - Stores: the message hashes wait per peer; `flush()` sends each peer its messages as
 *   node-signed `import` pages, read afresh from the store (a message deleted or expired
 *   meanwhile is not sent), for `maxAgeMs`. Memory is bounded: hashes only, `maxQueued` of them.
 * - Other swarm-wide requests (deletes, expiry changes, revocations): the client's signed request
 *   is forwarded again, in order, while its signature can still pass the peer's time check.
 * What is worth another attempt is the PeerError's `retryable`; any other 4xx is the peer's
 * decision and is not retried.
 */
export class Redelivery {
  private readonly queues = new Map<string, { peer: NodeInfo; hashes: Map<string, number> }>();
  private forwards: { peer: NodeInfo; request: unknown; at: number }[] = [];
  private readonly maxForwardAgeMs: number;
  private readonly maxForwards: number;
  private queued = 0;
  private readonly flushes = new SingleFlight(() => this.run());
  private readonly maxQueued: number;
  private readonly maxAgeMs: number;
  private readonly page: ReplicationPage;

  constructor(
    private readonly d: ReplicationDeps & {
      /** Each flush's outcome (metrics). */
      onFlushed?: (r: RedeliveryResult) => void;
    },
    opts: RedeliveryOptions = {},
  ) {
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.maxAgeMs = opts.maxAgeMs ?? 10 * 60_000;
    this.page = opts.page ?? DEFAULT_REPLICATION_PAGE;
    this.maxForwardAgeMs = opts.maxForwardAgeMs ?? 60_000;
    this.maxForwards = opts.maxForwards ?? 1000;
  }

  /** Messages and forwarded requests waiting for a second attempt. */
  get size(): number {
    return this.queued + this.forwards.length;
  }

  /**
   * Notes that `peer` did not take a forwarded swarm-wide request other than a store (a delete, an
   * expiry change, a revocation): it is forwarded again, the client's own signature and all, while
   * that signature can still pass the peer's time check.
   */
  addForward(peer: NodeInfo, request: unknown): void {
    this.forwards.push({ peer, request, at: this.d.clock.now() });
    if (this.forwards.length > this.maxForwards) this.forwards.shift();
  }

  /** Notes that `peer` did not take the message `hash`. */
  add(peer: NodeInfo, hash: string): void {
    let q = this.queues.get(peer.pubkey_ed25519);
    if (!q) {
      q = { peer, hashes: new Map() };
      this.queues.set(peer.pubkey_ed25519, q);
    }
    if (q.hashes.has(hash)) return;
    q.hashes.set(hash, this.d.clock.now());
    this.queued++;
    while (this.queued > this.maxQueued) this.dropOldest();
  }

  /** One attempt for everything waiting; one flush runs at a time. */
  flush(): Promise<RedeliveryResult> {
    return this.flushes.run();
  }

  /** Resolves once the flush in progress, if any, has ended (it never rejects). */
  settled(): Promise<void> {
    return this.flushes.settled();
  }

  private async run(): Promise<RedeliveryResult> {
    const result = { delivered: 0, dropped: 0 };
    const inSwarm = new Set(this.d.membership.peers().map((p) => p.pubkey_ed25519));
    // Forwarded requests first, in the order they were made (a delete after an expire, …).
    const waiting = this.forwards;
    this.forwards = [];
    const kept: typeof waiting = [];
    const unreachable = new Set<string>();
    for (const f of waiting) {
      const key = f.peer.pubkey_ed25519;
      if (!inSwarm.has(key) || this.d.clock.now() - f.at > this.maxForwardAgeMs) {
        result.dropped++;
        continue;
      }
      if (unreachable.has(key)) {
        kept.push(f);
        continue;
      }
      try {
        const failed = PeerError.ofAnswer(
          await this.d.peers.post(f.peer, { action: "forward", request: f.request }),
        );
        if (!failed) result.delivered++;
        else if (failed.retryable) kept.push(f);
        else result.dropped++;
      } catch (err) {
        this.d.logger.debug({ err: String(err) }, "forward redelivery to a swarm peer failed");
        unreachable.add(key);
        kept.push(f);
      }
    }
    // Ahead of any that failed while this ran, to keep their order.
    this.forwards = [...kept, ...this.forwards];
    for (const [key, q] of [...this.queues]) {
      const now = this.d.clock.now();
      if (!inSwarm.has(key)) {
        result.dropped += this.forget(key, [...q.hashes.keys()]);
        continue;
      }
      const live: StoredMessage[] = [];
      const gone: string[] = [];
      for (const [hash, since] of q.hashes) {
        const m = now - since > this.maxAgeMs ? undefined : this.d.store.get(hash, now);
        if (!m) gone.push(hash);
        else live.push(m);
      }
      result.dropped += this.forget(key, gone);
      for (let i = 0; i < live.length; ) {
        const batch: typeof live = [];
        let bytes = 0;
        while (i < live.length && batch.length < this.page.messages && bytes < this.page.bytes) {
          const m = live[i++]!;
          batch.push(m);
          bytes += wireBytes(m);
        }
        try {
          const res = await this.d.peers.post(
            q.peer,
            { action: "import", messages: batch.map(toWire), revocations: [] },
            15_000,
          );
          const hashes = batch.map((m) => m.hash);
          const failed = PeerError.ofAnswer(res);
          if (!failed) result.delivered += this.forget(key, hashes);
          else if (!failed.retryable) result.dropped += this.forget(key, hashes);
        } catch (err) {
          this.d.logger.debug({ err: String(err) }, "redelivery to a swarm peer failed");
          break; // this peer is still unreachable: its other pages wait too
        }
      }
    }
    if (result.delivered > 0 || result.dropped > 0)
      this.d.logger.info(result, "store redelivery to swarm peers");
    this.d.onFlushed?.(result);
    return result;
  }

  private forget(key: string, hashes: readonly string[]): number {
    const q = this.queues.get(key);
    if (!q) return 0;
    let n = 0;
    for (const h of hashes) if (q.hashes.delete(h)) n++;
    this.queued -= n;
    if (q.hashes.size === 0) this.queues.delete(key);
    return n;
  }

  private dropOldest(): void {
    let oldest: { key: string; hash: string; at: number } | undefined;
    for (const [key, q] of this.queues) {
      // Each peer's map is in insertion order: its first entry is its oldest.
      const first = q.hashes.entries().next().value;
      if (first && (!oldest || first[1] < oldest.at)) oldest = { key, hash: first[0], at: first[1] };
    }
    if (oldest) this.forget(oldest.key, [oldest.hash]);
  }
}
