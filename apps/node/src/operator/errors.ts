import { codedErrorClass } from "@session/errors";

/** Errors of the operator CLI (src/operator): a stable code and the cause kept. */
type OperatorErrorCode =
  | "BAD_ARGUMENT"
  | "CONFIG"
  | "ALREADY_REGISTERED"
  | "NOT_REGISTERED"
  | "WRONG_STATUS"
  | "INSUFFICIENT_FUNDS"
  | "INDEXER_UNAVAILABLE";

/** Only INDEXER_UNAVAILABLE is retryable: the rest needs the operator to change something. */
export class OperatorError extends codedErrorClass<OperatorErrorCode>(
  "OperatorError",
  (code) => code === "INDEXER_UNAVAILABLE",
) {}
