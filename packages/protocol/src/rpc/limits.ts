/** Limits enforced by oxen-storage-server (oxenss/rpc/request_handler.h, client_rpc_endpoints.h). */
export { TTL_MAXIMUM_MS, TTL_MAXIMUM_PRIVATE_MS, TTL_MINIMUM_MS } from "../namespaces.ts";

/** Maximum `data` size of a stored message in bytes (base64 form: 102400 chars). */
export const MAX_MESSAGE_BODY = 76_800;
export const MAX_MESSAGE_BODY_BASE64 = (MAX_MESSAGE_BODY / 3) * 4;

/** `store`: timestamp may be at most this far in the future, expiry at most this far in the past. */
export const STORE_TOLERANCE_MS = 10_000;

/** Signed requests: the signature timestamp must be within ± this of the node's clock. */
export const SIGNATURE_TOLERANCE_MS = 60_000;
/** Same, for requests forwarded between swarm members (allows for forwarding latency). */
export const SIGNATURE_TOLERANCE_FORWARDED_MS = 70_000;

/** `delete_before`: `before` may be at most this far in the future. */
export const DELETE_BEFORE_FUTURE_TOLERANCE_MS = 60_000;
/** `expire`: each new expiry may be at most this far in the past. */
export const EXPIRE_PAST_TOLERANCE_MS = 60_000;

/** Largest aggregate message size one `retrieve` returns (bytes). */
export const RETRIEVE_MAX_SIZE = 7_800_000;
/** `retrieve` with neither max_count nor max_size behaves as max_size = -5 (1/5 of the max). */
export const RETRIEVE_DEFAULT_MAX_SIZE_DIVISOR = 5;

/** Most subrequests in one `batch`/`sequence`. */
export const BATCH_REQUEST_MAX = 20;

/** Most subaccount tokens in one `revoke_subaccount`. */
export const MAX_SUBACCOUNT_TOKENS = 50;
/** A subaccount token: network prefix byte, permission flags byte, 2 reserved bytes, 32-byte Ed25519 pubkey. */
export const SUBACCOUNT_TOKEN_LENGTH = 36;

/** Largest HTTP request body a storage node accepts (oxenss/server/https.h). */
export const MAX_REQUEST_BODY_SIZE = 10 * 1024 * 1024;

/** Timestamps below this many ms are rejected as probably given in seconds (client_rpc_endpoints.cpp). */
export const MIN_TIMESTAMP_MS = 1_000_000_000;

/**
 * Effective byte limit for a retrieve (request_handler.cpp): 0 counts as unspecified; with
 * neither limit, max_size = -5; negative n means RETRIEVE_MAX_SIZE / -n; positive values are
 * capped at RETRIEVE_MAX_SIZE. Returns the byte limit and the count limit (undefined = none).
 */
export function effectiveRetrieveLimits(
  maxCount: number | undefined,
  maxSize: number | undefined,
): { maxCount: number | undefined; maxSize: number } {
  const count = maxCount === 0 ? undefined : maxCount;
  let size = maxSize === 0 ? undefined : maxSize;
  if (count === undefined && size === undefined) size = -RETRIEVE_DEFAULT_MAX_SIZE_DIVISOR;
  let bytes: number;
  if (size !== undefined && size < 0) bytes = Math.trunc(RETRIEVE_MAX_SIZE / -size);
  else if (size === undefined || size > RETRIEVE_MAX_SIZE) bytes = RETRIEVE_MAX_SIZE;
  else bytes = size;
  return { maxCount: count, maxSize: bytes };
}
