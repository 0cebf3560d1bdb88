import type { Logger } from "pino";

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
  what?: string;
}

/** Runs `fn` with exponential backoff and jitter; rethrows the last error after `attempts`. */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 6;
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 10_000;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      lastError = err;
      if (i === attempts - 1) break;
      const delay = Math.min(max, base * 2 ** i) * (0.5 + Math.random() / 2);
      opts.logger?.warn(
        { attempt: i + 1, delayMs: Math.round(delay), err: String(err) },
        `${opts.what ?? "rpc"} failed; retrying`,
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  throw lastError;
}
