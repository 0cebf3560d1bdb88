/**
 * Message namespaces, as oxen-storage-server defines them (oxenss/common/namespace.h) and Session
 * clients use them. A namespace is a signed 16-bit integer; 0 is the default inbox.
 */
export const Namespace = {
  /** Ordinary 1:1 Session messages (public inbox). */
  Default: 0,
  /** Deprecated legacy closed groups: unauthenticated store *and* retrieve. */
  LegacyClosedGroup: -10,
  // Client config storage (libsession config messages):
  UserProfile: 2,
  Contacts: 3,
  ConvoInfoVolatile: 4,
  UserGroups: 5,
  // Groups (03-prefixed group accounts):
  GroupMessages: 11,
  GroupKeys: 12,
  GroupInfo: 13,
  GroupMembers: 14,
  /** Group "revoked/removed" messages live in an unrevocable namespace (-11). */
  RevokedRetrievableGroupMessages: -11,
} as const;
export type KnownNamespace = (typeof Namespace)[keyof typeof Namespace];

export const NAMESPACE_MIN = -32768;
export const NAMESPACE_MAX = 32767;

export function isValidNamespace(ns: number): boolean {
  return Number.isInteger(ns) && ns >= NAMESPACE_MIN && ns <= NAMESPACE_MAX;
}

/** Namespaces divisible by 10 (0, -10, 60, …) accept deposits without authentication. */
export function isPublicInboxNamespace(ns: number): boolean {
  return ns % 10 === 0;
}

/** Negative namespaces of the form -(20n+1): single-message, publicly retrievable, owner-written. */
export function isPublicOutboxNamespace(ns: number): boolean {
  return ns < 0 && -ns % 20 === 1;
}

/** Retrieve needs no signature only for the legacy closed group namespace and public outboxes. */
export function isNoAuthRetrieveNamespace(ns: number): boolean {
  return ns === Namespace.LegacyClosedGroup || isPublicOutboxNamespace(ns);
}

/** Negative namespaces ending in 11 (-11, -211, …): revoked subaccounts may still retrieve. */
export function isUnrevocableNamespace(ns: number): boolean {
  return ns < 0 && -ns % 100 === 11;
}

/** True when `store` to `ns` may be made without a signature (public inbox namespaces). */
export function namespaceAllowsUnauthenticatedStore(ns: number): boolean {
  return isPublicInboxNamespace(ns);
}

/** True when `retrieve` from `ns` must carry a signature. */
export function namespaceRequiresRetrieveAuth(ns: number): boolean {
  return !isNoAuthRetrieveNamespace(ns);
}

/**
 * Public inbox namespaces get the shorter maximum TTL (14 days); namespaces under the owner's
 * control get 30 days (request_handler.cpp `process_client_req(store)`).
 */
export function maxTtlForNamespace(ns: number): number {
  return isPublicInboxNamespace(ns) ? TTL_MAXIMUM_MS : TTL_MAXIMUM_PRIVATE_MS;
}

/** The form a namespace takes inside signed strings: "" for 0, else its decimal form. */
export function namespaceSignatureValue(ns: number | "all"): string {
  return ns === 0 ? "" : String(ns);
}

// Kept here (not in rpc/limits.ts) to avoid an import cycle; re-exported from limits.
export const TTL_MINIMUM_MS = 10_000;
export const TTL_MAXIMUM_MS = 14 * 24 * 3600 * 1000;
export const TTL_MAXIMUM_PRIVATE_MS = 30 * 24 * 3600 * 1000;
