export {
  causeChain,
  isRetryable,
  isSessionError,
  SessionError,
  type SessionErrorOptions,
} from "./session-error.ts";
