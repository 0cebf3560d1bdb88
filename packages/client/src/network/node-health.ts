/** How strikes against nodes add up and are forgiven. */
export interface NodeHealthOptions {
  /** Strikes at which a node is left out of paths and swarm choices (Session's clients use 3). */
  threshold?: number;
  /** A strike is forgiven this long after it was given (ms). */
  forgiveAfterMs?: number;
  now?: () => number;
}

export const DEFAULT_STRIKE_THRESHOLD = 3;
export const DEFAULT_FORGIVE_AFTER_MS = 60_000;

/**
 * Strike counts per node (by Ed25519 key), as Session's clients keep them: a failure adds
 * strikes to the node it is blamed on (all `threshold` of them when the evidence is clear, one when
 * it is not), a node with `threshold` strikes is not used, and a success clears them. Unlike a
 * permanent "bad" mark, strikes expire `forgiveAfterMs` after they were given, so a node that was
 * down and came back is used again without anyone having to clear a list.
 */
export class NodeHealth {
  private readonly strikes = new Map<string, number[]>();
  readonly threshold: number;
  private readonly forgiveAfterMs: number;
  private readonly now: () => number;

  constructor(o: NodeHealthOptions = {}) {
    this.threshold = o.threshold ?? DEFAULT_STRIKE_THRESHOLD;
    this.forgiveAfterMs = o.forgiveAfterMs ?? DEFAULT_FORGIVE_AFTER_MS;
    this.now = o.now ?? Date.now;
  }

  /** Adds `count` strikes (capped at the threshold) against `key`. */
  strike(key: string, count = 1): void {
    const live = this.live(key);
    const t = this.now();
    for (let i = 0; i < count && live.length < this.threshold; i++) live.push(t);
    this.strikes.set(key, live);
  }

  /** Strikes out `key` at once: clear evidence that it is down or gone. */
  strikeOut(key: string): void {
    this.strike(key, this.threshold);
  }

  /** The node carried a request that succeeded: its strikes are wiped. */
  succeeded(key: string): void {
    this.strikes.delete(key);
  }

  /** Strikes not yet forgiven. */
  count(key: string): number {
    return this.live(key).length;
  }

  usable(key: string): boolean {
    return this.count(key) < this.threshold;
  }

  /** Forgets every strike (after the node list was fetched afresh from a seed). */
  forgiveAll(): void {
    this.strikes.clear();
  }

  private live(key: string): number[] {
    const list = this.strikes.get(key);
    if (!list) return [];
    const cutoff = this.now() - this.forgiveAfterMs;
    const live = list.filter((t) => t > cutoff);
    if (live.length === 0) this.strikes.delete(key);
    else if (live.length !== list.length) this.strikes.set(key, live);
    return live;
  }
}
