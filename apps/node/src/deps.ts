import type { EventEmitter } from "node:events";
import type { AccountKeys } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import type { FaultMonitor } from "@session/service-kit";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { NodeConfig } from "./config.ts";
import type { CryptoThread } from "./crypto-thread.ts";
import type { NodePost } from "./onion/http.ts";
import type { Redelivery } from "./replication/redelivery.ts";
import type { SwarmSync } from "./replication/sync.ts";
import type { Tombstones } from "./replication/tombstones.ts";
import type { RpcHandler } from "./rpc/handler.ts";
import type { NameResolver } from "./rpc/oxend.ts";
import type { SubaccountRevocations } from "./storage/revocations.ts";
import type { MessageStore } from "./storage/store.ts";
import type { Membership } from "./swarm/membership.ts";

/** What the owner process of a cluster knows of its workers (src/cluster/). */
export interface ClusterView {
  /** Workers running now (/health `workers`). */
  workers(): { count: number; pids: number[] };
  /** `own` (the owner's HTTP metrics) summed with every worker's, in the exposition format. */
  httpMetrics(own: Registry): Promise<string>;
}

/** Everything a node's HTTP routes need, assembled once by `startNode` (or by tests). */
export interface NodeContext {
  config: NodeConfig;
  keys: AccountKeys;
  clock: { now(): number };
  logger: Logger;
  metrics: Registry;
  store: MessageStore;
  /** Revoked subaccount tokens (same database as `store`). */
  revocations: SubaccountRevocations;
  membership: Membership;
  rpc: RpcHandler;
  sync: SwarmSync;
  /** Second attempts for what a swarm peer missed: stores, deletes, … (startNode always sets it). */
  redelivery?: Redelivery;
  /** Signed deletes kept for members that miss them, and the pull that applies peers' (startNode sets it). */
  tombstones?: Tombstones;
  /** Disk-full and other fault conditions, in /health and /metrics (startNode sets it). */
  faults?: FaultMonitor;
  /** Emits "stored" ({ pubkey, namespace, hash, timestamp, expiry, data }) for each new message. */
  events: EventEmitter;
  network: {
    self(): NodeInfo | undefined;
    nodeByEd25519(hex: string): NodeInfo | undefined;
    nodeByX25519(hex: string): NodeInfo | undefined;
    allNodes(): readonly NodeInfo[];
  };
  /** Fetch for node-to-node calls (accepts self-signed certificates: nodes authenticate by keys). */
  fetch: typeof fetch;
  /** Answers `oxend_request` → `ons_resolve` from the chain (src/names/; absent with a static registry). */
  names?: NameResolver;
  /** Node-to-node onion relays on the node's undici agent (cheaper than `fetch`). */
  nodePost?: NodePost;
  /** Final-hop POSTs to HTTP(S) servers, connecting only where `config.onionServers` allows. */
  serverPost?: NodePost;
  /** Signature checks and onion X25519 of busy turns off the event loop (startNode sets it). */
  cryptoThread?: CryptoThread;
  /** Set in a cluster's owner process: /health and /metrics cover the workers too. */
  cluster?: ClusterView;
}
