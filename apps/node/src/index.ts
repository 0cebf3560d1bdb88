// The node: configuration, context, app factory, start

export { configFromEnv, type NodeConfig, nodeEnvSchema } from "./config.ts";
export type { NodeContext } from "./deps.ts";
export { type RunningNode, type StartNodeOptions, startNode } from "./node.ts";
export { createApp } from "./server.ts";

// Using every core: one node across node:cluster workers

export {
  type RunningCluster,
  type StartNodeClusterOptions,
  startNodeCluster,
} from "./cluster/start.ts";

// Storage RPC and message store

export { RpcHandler } from "./rpc/handler.ts";
export type { NameResolver } from "./rpc/oxend.ts";
export { MessageStore } from "./storage/store.ts";

// Swarm membership and replication between peers

export { PEER_RPC_PATH, signPeerRequest } from "./replication/peer.ts";
export {
  fileRegistry,
  httpRegistry,
  Membership,
  type RegistrySource,
  writeRegistryFile,
} from "./swarm/membership.ts";
