import type { NodeInfo } from "@session/protocol";
import { MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST } from "@session/protocol/monitor";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { SubscriptionRepo } from "../db/repo.ts";
import type { NotifyMessage } from "../domain/payload.ts";

export interface WatcherOptions {
  repo: SubscriptionRepo;
  /** HTTP to storage nodes only (self-signed: `nodeHttp()` from @session/node-tls). */
  fetch: typeof fetch;
  listNodes: () => Promise<NodeInfo[]>;
  /** Called once per new message (deduplicated by account + hash across nodes). */
  onMessage: (msg: NotifyMessage) => Promise<void> | void;
  logger: Logger;
  registry: Registry;
  /** "http" on the devnet; real nodes serve https. */
  nodeScheme?: "http" | "https";
  /** Swarm members watched per account. Default 2. */
  nodesPerAccount?: number;
  /** First wait before reconnecting a failed stream; doubles per failure. Default 2 s. */
  retryMs?: number;
  /** Cap of that wait. Default 5 min. */
  maxRetryMs?: number;
  /** How long accounts avoid a node after its stream failed. Default 5 min. */
  avoidFailedMs?: number;
  /** Every subscription is re-sent on its open stream this often; under the nodes' 65 min. */
  renewMs?: number;
  /** Node list refresh (swarm changes) interval. Default 60 s. */
  nodesTtlMs?: number;
  /** Message hashes remembered for dedup. Default 100 000. */
  dedupSize?: number;
  /** Accounts on one stream before a second stream is opened on the same node (node default 100 000). */
  maxAccountsPerStream?: number;
  /** Subscriptions per request (the node takes at most 1000). */
  batchSize?: number;
  /** Time allowed for a node to answer a stream open or a subscribe request. Default 10 s. */
  requestTimeoutMs?: number;
  /** A stream with no event or keepalive for this long is dead (nodes send one every 25 s). Default 75 s. */
  idleTimeoutMs?: number;
}

/** The options with every default filled in. */
export type Opts = Required<Omit<WatcherOptions, "nodeScheme">> & { nodeScheme: "http" | "https" };

/** Fills in the defaults (documented on each option). */
export function withDefaults(options: WatcherOptions): Opts {
  return {
    nodeScheme: "https",
    nodesPerAccount: 2,
    retryMs: 2000,
    maxRetryMs: 5 * 60_000,
    avoidFailedMs: 5 * 60_000,
    renewMs: 30 * 60_000,
    nodesTtlMs: 60_000,
    dedupSize: 100_000,
    maxAccountsPerStream: 100_000,
    batchSize: MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST,
    requestTimeoutMs: 10_000,
    idleTimeoutMs: 75_000,
    ...options,
  };
}
