export { configFromEnv, type Env, envSchema, type IndexerConfig } from "./config.ts";
export { type EventStore, openEventStore, PgEventStore, SqliteEventStore } from "./db/store.ts";
export { Follower, type FollowerOptions } from "./domain/follower.ts";
export { ChainState, ipFromUint32, type NameState, type NodeState } from "./domain/state.ts";
export { type RunningIndexer, type StartIndexerOptions, startIndexer } from "./indexer.ts";
export { createApp } from "./server.ts";
