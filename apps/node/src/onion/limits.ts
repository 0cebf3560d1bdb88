import { LINK_PEER_AUTH_BYTES, ONION_MAX_HOPS, ONION_MAX_LAYER_SIZE } from "@session/protocol/onion";

/** Tunables of onion handling; defaults follow oxen-storage-server. */
export interface OnionLimits {
  /** Largest onion body accepted from a client or a previous hop (oxenss: 10 MiB). */
  maxBodyBytes: number;
  /** Largest reply relayed back from the next node or a server; bigger replies become 502. */
  maxReplyBytes: number;
  /** Wait for the next node (oxenss sn.onion_request: 30 s; a bit less so our 504 arrives first). */
  nodeTimeoutMs: number;
  /** Wait for an HTTP(S) destination (oxenss ONION_URL_TIMEOUT: 25 s). */
  serverTimeoutMs: number;
  /** Highest hop number accepted (oxenss MAX_ONION_HOPS). */
  maxHops: number;
  /** Onion requests handled at once; more are refused with 503 instead of queueing. */
  maxInFlight: number;
}

export const DEFAULT_ONION_LIMITS: OnionLimits = {
  maxBodyBytes: ONION_MAX_LAYER_SIZE,
  maxReplyBytes: ONION_MAX_LAYER_SIZE + 64 * 1024,
  nodeTimeoutMs: 28_000,
  serverTimeoutMs: 25_000,
  maxHops: ONION_MAX_HOPS,
  maxInFlight: 1024,
};

/** The defaults with the given settings over them. */
export function onionLimits(overrides: Partial<OnionLimits> | undefined): OnionLimits {
  return { ...DEFAULT_ONION_LIMITS, ...overrides };
}

/**
 * The largest frame body a node link accepts: the larger of an onion body and a node-to-node
 * request of `maxRpcBodyBytes` with its auth fields.
 */
export const linkMaxBodyBytes = (maxRpcBodyBytes: number) =>
  Math.max(DEFAULT_ONION_LIMITS.maxBodyBytes, maxRpcBodyBytes + LINK_PEER_AUTH_BYTES);

/** Node-to-node relay endpoint: our HTTP stand-in for oxenss's OxenMQ `sn.onion_request`. */
export const ONION_RELAY_PATH = "/sn/onion_request";
/** Client entry point of real storage nodes (oxenss https.cpp). */
export const ONION_REQUEST_PATH = "/onion_req/v2";
/** Same handler under the v4 name clients use for servers. */
export const ONION_V4_PATH = "/oxen/v4/lsrpc";
/** The only storage endpoint a v4 request may name at a node's final hop. */
export const STORAGE_RPC_PATH = "/storage_rpc/v1";
