// The error base every package subclasses (code, cause, retryable)
// A class that decides retryable from its code (and a status): `class X extends codedErrorClass<XCode>("X") {}`
export { codedErrorClass, statusErrorClass } from "./error-class.ts";
export {
  causeChain,
  isRetryable,
  isSessionError,
  SessionError,
} from "./session-error.ts";
