/** Errors of the operator CLI (src/operator): a stable code and the cause kept. */
export type OperatorErrorCode =
  | "BAD_ARGUMENT"
  | "CONFIG"
  | "ALREADY_REGISTERED"
  | "NOT_REGISTERED"
  | "WRONG_STATUS"
  | "INSUFFICIENT_FUNDS"
  | "INDEXER_UNAVAILABLE";

export class OperatorError extends Error {
  constructor(
    readonly code: OperatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OperatorError";
  }
}
