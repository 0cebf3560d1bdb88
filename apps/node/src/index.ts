export {
  type RunningCluster,
  type StartNodeClusterOptions,
  startNodeCluster,
} from "./cluster/start.ts";
export { configFromEnv, type NodeConfig, nodeEnvSchema } from "./config.ts";
export type { NodeContext } from "./deps.ts";
export { type RunningNode, type StartNodeOptions, startNode } from "./node.ts";
export { PEER_RPC_PATH, signPeerRequest } from "./replication/peer.ts";
export { RpcHandler } from "./rpc/handler.ts";
export type { NameResolver } from "./rpc/oxend.ts";
export { createApp } from "./server.ts";
export { MessageStore } from "./storage/store.ts";
export {
  fileRegistry,
  httpRegistry,
  Membership,
  type RegistrySource,
  writeRegistryFile,
} from "./swarm/membership.ts";
