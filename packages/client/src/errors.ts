import { statusErrorClass } from "@session/errors";

/** Stable codes for what can go wrong in the SDK. */
export type ClientErrorCode =
  | "NO_IDENTITY"
  | "BAD_SEED"
  | "IDENTITY_EXISTS"
  | "BAD_RECIPIENT"
  | "NETWORK_UNAVAILABLE"
  | "NOT_ENOUGH_NODES"
  | "REQUEST_FAILED"
  | "DESTINATION_UNREACHABLE"
  | "ATTACHMENT_TOO_LARGE"
  | "NAME_RESOLUTION_UNAVAILABLE"
  | "NAME_NOT_FOUND"
  | "BAD_NOTIFICATION"
  | "BAD_COMMUNITY_URL"
  // Conversations and the CLI's input
  | "NOT_A_REQUEST"
  | "FILE_NOT_FOUND"
  | "BAD_ARGUMENT"
  // Closed groups
  | "GROUP_FULL"
  | "GROUP_NOT_FOUND"
  | "NOT_GROUP_ADMIN"
  | "NOT_GROUP_MEMBER"
  | "BAD_GROUP_NAME"
  | "BAD_INVITATION"
  // Names on the chain (src/name-registry.ts)
  | "BAD_NAME"
  | "NAME_TAKEN"
  | "NOT_NAME_OWNER"
  | "NAME_EXPIRED"
  | "INSUFFICIENT_FUNDS"
  | "TRANSACTION_FAILED";

/** Codes where trying again (later, or elsewhere) can help. */
const RETRYABLE: ReadonlySet<ClientErrorCode> = new Set([
  "NETWORK_UNAVAILABLE",
  "NOT_ENOUGH_NODES",
  "REQUEST_FAILED",
  "DESTINATION_UNREACHABLE",
]);

/**
 * An SDK failure. `retryable` is decided here, once: a network code (RETRYABLE), unless the
 * network answered with a 4xx (a refusal of the request itself is final).
 *
 * @example
 * ```ts
 * import { ClientError } from "@session/client";
 *
 * try {
 *   await client.sendText(bobId, "hi");
 * } catch (err) {
 *   if (!(err instanceof ClientError)) throw err;
 *   if (err.code === "BAD_RECIPIENT") console.error("not a Session ID:", bobId);
 *   else if (err.retryable) console.error("network trouble, try again later:", err.message);
 *   else throw err;
 * }
 * ```
 */
export class ClientError extends statusErrorClass<ClientErrorCode>(
  "ClientError",
  (code, status) => RETRYABLE.has(code) && !(status !== undefined && status >= 400 && status < 500),
) {}
