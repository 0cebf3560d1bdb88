import { SessionError } from "@session/errors";
/**
 * Why a chain JSON-RPC call failed. `retryable` says whether asking again (after a backoff) can
 * help; a refused log range is not retried as is but asked again in halves.
 */
export type ChainRpcErrorCode =
  /** No answer within SNS_RPC_TIMEOUT_MS. */
  | "RPC_TIMEOUT"
  /** HTTP 429 or a JSON-RPC rate-limit error; `retryAfterMs` when the provider said. */
  | "RPC_RATE_LIMITED"
  /** Connection refused or reset, or an HTTP 5xx / unexpected status. */
  | "RPC_UNAVAILABLE"
  /** A JSON-RPC error object. */
  | "RPC_ERROR"
  /** Not JSON-RPC, cut short, or a result that fails validation (e.g. a truncated log list). */
  | "RPC_BAD_ANSWER"
  /** eth_getLogs range or result-count limit: ask for a smaller range. */
  | "RPC_RANGE_REFUSED";

export class ChainRpcError extends SessionError<ChainRpcErrorCode> {
  override readonly name = "ChainRpcError";
  readonly retryAfterMs: number | undefined;
  readonly rpcCode: number | undefined;

  constructor(
    code: ChainRpcErrorCode,
    message: string,
    opts: { cause?: unknown; retryAfterMs?: number; rpcCode?: number; retryable?: boolean } = {},
  ) {
    super(code, message, {
      cause: opts.cause,
      retryable: opts.retryable ?? code !== "RPC_RANGE_REFUSED",
    });
    this.retryAfterMs = opts.retryAfterMs;
    this.rpcCode = opts.rpcCode;
  }
}

// JSON-RPC codes that mean the request itself is wrong: asking again cannot help.
const NOT_RETRYABLE_RPC_CODES = new Set([-32600, -32601, -32602]);

const RANGE_REFUSAL =
  /block range|range (is )?too (large|wide|big)|too many (blocks|results|logs)|query returned more than|response size|limit exceeded|exceeds? (the )?(max|limit)/;
const RATE_LIMIT = /rate.?limit|too many requests|request rate|capacity|throughput/;

/** Classifies a JSON-RPC error object (from a body or thrown by an EIP-1193 provider). */
export function errorFromRpc(method: string, code: unknown, message: unknown): ChainRpcError {
  const text = String(message ?? "").toLowerCase();
  const num = typeof code === "number" ? code : undefined;
  const what = `${method}: ${String(message ?? "error")}${num === undefined ? "" : ` (${num})`}`;
  const opts = num === undefined ? {} : { rpcCode: num };
  if (num === 429 || RATE_LIMIT.test(text)) return new ChainRpcError("RPC_RATE_LIMITED", what, opts);
  if (method === "eth_getLogs" && (num === -32005 || RANGE_REFUSAL.test(text)))
    return new ChainRpcError("RPC_RANGE_REFUSED", what, opts);
  return new ChainRpcError("RPC_ERROR", what, {
    ...opts,
    retryable: num === undefined || !NOT_RETRYABLE_RPC_CODES.has(num),
  });
}
