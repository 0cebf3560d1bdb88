import type { Context, MiddlewareHandler } from "hono";
import { errorResponse } from "./errors.ts";

interface TokenBucketOptions {
  /** Most tokens a key can hold (the burst). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
  /** Milliseconds clock; injected so tests do not sleep. */
  now?: () => number;
  /** Keys tracked at most; the least recently used key is dropped past this (bounded memory). */
  maxKeys?: number;
}

/** Token buckets per key. `take(key, n)` spends n tokens if the key has them. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly options: TokenBucketOptions) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Spends `cost` tokens; false (and nothing spent) when the key has too few. */
  take(key: string, cost = 1): boolean {
    const now = this.now();
    const { capacity, refillPerSecond } = this.options;
    const prev = this.buckets.get(key);
    const tokens = prev
      ? Math.min(capacity, prev.tokens + (Math.max(0, now - prev.at) / 1000) * refillPerSecond)
      : capacity;
    this.buckets.delete(key); // re-inserted below: Map order is our LRU order
    const ok = tokens >= cost;
    this.buckets.set(key, { tokens: ok ? tokens - cost : tokens, at: now });
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
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
