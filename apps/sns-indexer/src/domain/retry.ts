import { isRetryable } from "@session/errors";
import { backoffMs } from "@session/service-kit";
import type { Logger } from "pino";

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
  what?: string;
  /** Told of every failed attempt (the follower's RPC health and metrics). */
  onFailure?: (err: unknown) => void;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn` with exponential backoff and jitter; rethrows the last error after `attempts`, or at
 * once when it is a SessionError that says a retry cannot help (`isRetryable`: a ChainRpcError
 * decides when it is built; an unexpected error is tried again). A `retryAfterMs` on the error (a
 * rate limit's Retry-After) is waited at least, up to `maxMs`.
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 6;
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 10_000;
  for (let i = 0; ; i++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      opts.onFailure?.(err);
      if (!isRetryable(err, true) || i === attempts - 1) throw err;
      const e = err as { retryAfterMs?: unknown };
      const backoff = backoffMs(i + 1, { baseMs: base, maxMs: max, jitter: "equal" });
      const delay =
        typeof e?.retryAfterMs === "number" ? Math.min(max, Math.max(backoff, e.retryAfterMs)) : backoff;
      opts.logger?.warn(
        { attempt: i + 1, delayMs: Math.round(delay), err: String(err) },
        `${opts.what ?? "rpc"} failed; retrying`,
      );
      await sleep(delay, opts.signal);
    }
  }
}
