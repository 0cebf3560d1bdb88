interface BackoffOptions {
  /** Wait after the first failure. */
  baseMs: number;
  /** Longest wait. */
  maxMs: number;
  /**
   * "equal": a random wait in [½, 1] of the computed one, so many clients that failed together do
   * not retry together. Default "none".
   */
  jitter?: "none" | "equal";
}

/**
 * The wait after the `failures`-th consecutive failure (1, 2, …): baseMs · 2^(failures−1), at most
 * maxMs. The one backoff formula of every retry loop in the platform (push queue and monitor
 * streams, indexer RPC calls and sync loop).
 */
export function backoffMs(failures: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const wait = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return options.jitter === "equal" ? wait * (0.5 + Math.random() / 2) : wait;
}
