// The error base every package subclasses (code, cause, retryable)
export {
  causeChain,
  isRetryable,
  isSessionError,
  SessionError,
  type SessionErrorOptions,
} from "./session-error.ts";
