import type { Context, MiddlewareHandler } from "hono";
import { errorResponse } from "./errors.ts";
import { RecentMap } from "./recent-map.ts";

interface TokenBucketOptions {
  /** Most tokens a key can hold (the burst). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
  /** Milliseconds clock; injected so tests do not sleep. */
  now?: () => number;
  /** Keys tracked at most; the ones unused longest are dropped past this (bounded memory). */
  maxKeys?: number;
}

/**
 * Token buckets per key. `take(key, n)` spends n tokens if the key has them. The buckets of the
 * keys used lately are kept (`RecentMap`); a key dropped from it starts full again, as a new one.
 * A bucket is updated in place: a request allocates nothing that outlives it.
 */
export class TokenBuckets {
  private readonly buckets: RecentMap<string, { tokens: number; at: number }>;
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    this.now = options.now ?? Date.now;
    this.buckets = new RecentMap(options.maxKeys ?? 10_000);
  }

  /** Spends `cost` tokens; false (and nothing spent) when the key has too few. */
  take(key: string, cost = 1): boolean {
    const now = this.now();
    const { capacity, refillPerSecond } = this.options;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: capacity, at: now };
      this.buckets.set(key, bucket);
    }
    const tokens = Math.min(
      capacity,
      bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * refillPerSecond,
    );
    const ok = tokens >= cost;
    bucket.tokens = ok ? tokens - cost : tokens;
    bucket.at = now;
    return ok;
  }
}

/**
 * Answers 429 RATE_LIMITED when the bucket for `key(c)` is empty. Our clients arrive through
 * onion paths, so keys are routes or the forwarding node, never a client's address.
 */
export function rateLimit(buckets: TokenBuckets, key: (c: Context) => string): MiddlewareHandler {
  return async (c, next) => {
    if (!buckets.take(key(c))) return errorResponse(c, "RATE_LIMITED");
    await next();
  };
}
