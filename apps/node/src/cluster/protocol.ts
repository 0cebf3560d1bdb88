import { join } from "node:path";
import type { NodeInfo } from "@session/protocol";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import type { NodeConfig } from "../config.ts";

/*
 * What a cluster's owner process and its workers say to each other (README "Using every core"):
 * HTTP on the owner's Unix socket for requests, and the cluster IPC channel for the rest.
 */

/** The owner's Unix socket, beside the database. */
export const ownerSocketPath = (dataDir: string) => join(dataDir, "node.sock");

/**
 * A request a worker makes itself (a prepared store, a storage RPC it does not serve); its value is
 * the cluster's secret. Never passed on from a client: the worker's proxy drops it.
 */
export const INTERNAL_HEADER = "x-session-node-internal";
/** A client's request the worker passes on as it is; its value is the cluster's secret. */
export const PROXIED_HEADER = "x-session-node-proxied";
/** The client's address on a proxied request (the owner's rate limits and caps go by it). */
export const REMOTE_HEADER = "x-session-node-remote";
/** The pid of the worker that answered a storage RPC (tests, operators looking at a reply). */
export const WORKER_HEADER = "x-session-node-worker";

/** Internal requests (INTERNAL_HEADER) the owner answers with RpcResults as JSON. */
export const OWNER_PATHS = {
  /** Body: FanOutWire[] (a worker's turn of committed stores); answer: each one's peer entries. */
  fanOut: "/fanout",
  /** Body: a storage RPC request the worker does not serve itself (batch, delete, expire, …). */
  rpc: "/rpc",
  /**
   * Body: a node-to-node request that came on a node link the worker took, its sender's
   * signature in PEER_HEADERS; answer: the owner's reply, its status in PEER_HEADERS.status.
   */
  peer: "/peer",
} as const;

/**
 * Headers of an OWNER_PATHS.peer exchange: the link frame's auth fields on the request (hex, Unix
 * ms, hex), and the status of the owner's reply to the peer on the answer.
 */
export const PEER_HEADERS = {
  pubkey: "x-session-node-peer-pubkey",
  timestamp: "x-session-node-peer-timestamp",
  signature: "x-session-node-peer-signature",
  status: "x-session-node-peer-status",
} as const;

/** A store a worker committed, for the owner to send on to the swarm peers. */
export interface FanOutWire {
  /** The client's request as it came (peers check its signature themselves). */
  request: unknown;
  hash: string;
}

/** What a worker process is started with (JSON in its environment, WORKER_ENV). */
export interface WorkerSettings {
  config: NodeConfig;
  socketPath: string;
  secret: string;
}

export const WORKER_ENV = "SESSION_NODE_CLUSTER_WORKER";

/** Owner → worker over the cluster IPC channel. */
export type OwnerMessage =
  | { type: "session-node:nodes"; nodes: NodeInfo[] }
  | { type: "session-node:metrics"; id: number }
  /** A client's connection, passed with the message (connection-dispatch.ts); `id` names it in replies. */
  | { type: "session-node:connection"; id: number }
  /** `deadline`: epoch ms by which the worker must be gone (the node's one grace period). */
  | { type: "session-node:shutdown"; deadline: number };

/** Worker → owner. */
export type WorkerMessage =
  | { type: "session-node:hello" }
  /** The worker knows the registry and takes connections. */
  | { type: "session-node:ready" }
  /** The worker holds connection `id` now (the owner closes its own copy). */
  | { type: "session-node:took"; id: number }
  /** Connection `id` closed in the worker. */
  | { type: "session-node:closed"; id: number }
  | {
      type: "session-node:metrics";
      id: number;
      metrics: MetricObjectWithValues<MetricValue<string>>[];
    };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return (
    typeof m === "object" &&
    m !== null &&
    typeof (m as { type?: unknown }).type === "string" &&
    (m as { type: string }).type.startsWith("session-node:")
  );
}
