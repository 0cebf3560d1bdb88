// Chain access: JSON-RPC transports and the validating client
export {
  bloomMayContain,
  type ChainBlock,
  type ChainClient,
  type ChainLog,
  checkLogList,
  jsonRpcChainClient,
} from "./chain/chain-client.ts";
export { ChainRpcError, type ChainRpcErrorCode } from "./chain/errors.ts";
export { type Eip1193Like, eip1193Transport, httpTransport, type RpcTransport } from "./chain/json-rpc.ts";
// Configuration, storage, following
export { configFromEnv, type Env, envSchema, type IndexerConfig } from "./config.ts";
export { type EventStore, openEventStore, PgEventStore, SqliteEventStore } from "./db/store.ts";
export { IndexerConditions, isDiskFull } from "./domain/conditions.ts";
export { Follower, type FollowerOptions } from "./domain/follower.ts";
export { ChainState, type NameState, type NodeState } from "./domain/state.ts";
// The service
export { type RunningIndexer, type StartIndexerOptions, startIndexer } from "./indexer.ts";
export { createApp } from "./server.ts";
