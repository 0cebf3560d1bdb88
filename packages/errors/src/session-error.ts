/** What every SessionError carries besides its code and message. */
interface SessionErrorOptions {
  /** The failure this error wraps; kept as the standard `Error.cause`. */
  cause?: unknown;
  /** Structured data about the failure (a validation's issues, a status…), for logs and bodies. */
  details?: unknown;
  /** Whether trying again — later, or elsewhere (another node, path, provider) — can help. Default false. */
  retryable?: boolean;
}

/**
 * The base of every error the platform's packages and apps throw on purpose: a stable `code`
 * (a string, or the number a wire format fixes), a message, optional `details`, the wrapped
 * `cause`, and `retryable`. Each package subclasses it once (`CryptoError`, `ProtocolError`,
 * `ClientError`, …) and decides `retryable` when it builds the error, so a retry loop asks the
 * error (`isRetryable`) instead of matching messages or status lists.
 *
 * @example
 * class StoreError extends SessionError<"DISK_FULL" | "LOCKED"> {
 *   override name = "StoreError";
 * }
 * try {
 *   write();
 * } catch (err) {
 *   throw new StoreError("LOCKED", "the store is locked", { cause: err, retryable: true });
 * }
 */
export class SessionError<C extends string | number = string | number> extends Error {
  override name = "SessionError";
  readonly code: C;
  readonly details: unknown;
  readonly retryable: boolean;

  constructor(code: C, message: string, options: SessionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** Whether `err` is a SessionError (of any package). */
export function isSessionError(err: unknown): err is SessionError {
  return err instanceof SessionError;
}

/**
 * Whether trying again can help: a SessionError's own `retryable`; for anything else (a plain
 * `Error`, a thrown string) `otherwise`, false unless the caller says. A loop that has always
 * retried unexpected failures passes `true` and still stops at once on an error that says a retry
 * cannot help.
 *
 * @example
 * if (!isRetryable(err)) throw err; // only SessionErrors that say so are tried again
 * if (!isRetryable(err, true)) throw err; // unknown failures are tried again too
 */
export function isRetryable(err: unknown, otherwise = false): boolean {
  return err instanceof SessionError ? err.retryable : otherwise;
}

/**
 * `err` and the causes it wraps, outermost first (at most `max`, so a cycle ends).
 *
 * @example
 * causeChain(err).some((e) => e instanceof CryptoError);
 */
export function causeChain(err: unknown, max = 16): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  while (out.length < max && e !== undefined && !out.includes(e)) {
    out.push(e);
    e = e instanceof Error ? e.cause : undefined;
  }
  return out;
}
