// The error base every package subclasses (code, cause, retryable)
export {
  causeChain,
  isRetryable,
  isSessionError,
  SessionError,
} from "./session-error.ts";
