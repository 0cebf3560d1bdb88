import { SessionError } from "./session-error.ts";

/**
 * The base of a package's error class that decides `retryable` from the code alone (never, unless
 * `retryable` says), so that a thrower passes a code, a message and at most the cause it wraps.
 *
 * @example
 * export class CryptoError extends codedErrorClass<CryptoErrorCode>("CryptoError") {}
 * export class OperatorError extends codedErrorClass<OperatorErrorCode>(
 *   "OperatorError",
 *   (code) => code === "INDEXER_UNAVAILABLE",
 * ) {}
 * throw new CryptoError("INVALID_HEX", "not hex", { cause: err });
 */
export function codedErrorClass<C extends string | number>(
  name: string,
  retryable: (code: C) => boolean = () => false,
): new (
  code: C,
  message: string,
  options?: { cause?: unknown },
) => SessionError<C> {
  return class extends SessionError<C> {
    override readonly name = name;
    constructor(code: C, message: string, options?: { cause?: unknown }) {
      super(code, message, { ...options, retryable: retryable(code) });
    }
  };
}

/**
 * As codedErrorClass, for failures that may come with an HTTP status (`status`, kept on the
 * error): `retryable` follows from the code and the status.
 *
 * @example
 * export class WireError extends statusErrorClass<"REFUSED" | "UNREACHABLE">(
 *   "WireError",
 *   (code, status) => code === "UNREACHABLE" || (status !== undefined && status >= 500),
 * ) {}
 * throw new WireError("REFUSED", "the server answered 503", 503, { cause: err });
 */
export function statusErrorClass<C extends string | number>(
  name: string,
  retryable: (code: C, status: number | undefined) => boolean,
): new (
  code: C,
  message: string,
  status?: number,
  options?: { cause?: unknown },
) => SessionError<C> & { readonly status?: number } {
  return class extends SessionError<C> {
    override readonly name = name;
    constructor(
      code: C,
      message: string,
      readonly status?: number,
      options?: { cause?: unknown },
    ) {
      super(code, message, { ...options, retryable: retryable(code, status) });
    }
  };
}
