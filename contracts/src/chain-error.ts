import { SessionError } from "@session/errors";

export type ChainErrorCode =
  | "CONFIG"
  | "KEY"
  | "DEPLOYMENT_FILE"
  | "WRONG_CHAIN"
  | "TX_FAILED"
  | "TIMEOUT"
  | "NOT_FOUND"
  | "REFUSED";

/** Errors of chain tooling: a stable code, the cause kept, and whether retrying can help. */
export class ChainError extends SessionError<ChainErrorCode> {
  override readonly name = "ChainError";
  constructor(code: ChainErrorCode, message: string, retryable = false, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable });
  }
}
