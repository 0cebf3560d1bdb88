import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  createLogger,
  createMetrics,
  type Logger,
  type RunningServer,
  startServer,
} from "@session/service-kit";
import { type ChainClient, jsonRpcChainClient } from "./chain/chain-client.ts";
import { type Eip1193Like, eip1193Transport, httpTransport } from "./chain/json-rpc.ts";
import type { IndexerConfig } from "./config.ts";
import { type EventStore, openEventStore } from "./db/store.ts";
import { IndexerConditions } from "./domain/conditions.ts";
import { Follower } from "./domain/follower.ts";
import { registerIndexerMetrics } from "./metrics.ts";
import { createApp } from "./server.ts";

export interface RunningIndexer {
  url: string;
  follower: Follower;
  store: EventStore;
  server: RunningServer;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartIndexerOptions {
  /** Talk to this EIP-1193 provider instead of `config.rpcUrl` (tests, devnet: an in-process chain). */
  eip1193?: Eip1193Like;
  /** Or a ready chain client. */
  chain?: ChainClient;
  logger?: Logger;
  /** Postgres schema to use (tests isolate runs with it). */
  pgSchema?: string;
  /** PostgreSQL application_name of its sessions (default "sns-indexer"; fault tests tell runs apart). */
  pgApplicationName?: string;
  /** Run the backfill to the current head before the API starts listening (default true). */
  waitForSync?: boolean;
  /** Retry schedule of chain calls (tests shorten it). */
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
}

const DEFAULT_RPC_TIMEOUT_MS = 10_000;
/**
 * Stop budget, well inside an orchestrator's grace (`docker stop`: 10 s, then SIGKILL): requests
 * in flight get STOP_GRACE_MS, and so does the follower. A chain call ends at once on abort, but a
 * database call cannot be aborted (a write waiting on a lock, a database that stopped answering):
 * the store is then closed under it (its transaction rolls back; the batch is fetched again at the
 * next start).
 */
const STOP_GRACE_MS = 2_000;

/**
 * Opens the store, backfills, then serves the API and follows new blocks until stopped. Only the
 * database is needed to start: a chain RPC that is down is retried while the API serves what is
 * indexed.
 */
export async function startIndexer(
  config: IndexerConfig,
  opts: StartIndexerOptions = {},
): Promise<RunningIndexer> {
  const logger = opts.logger ?? createLogger({ name: "sns-indexer", level: config.logLevel });
  if (config.databaseUrl.startsWith("sqlite:")) {
    mkdirSync(dirname(config.databaseUrl.slice("sqlite:".length)), { recursive: true });
  }
  const store = await openEventStore(config.databaseUrl, {
    ...(opts.pgSchema ? { schema: opts.pgSchema } : {}),
    ...(opts.pgApplicationName ? { applicationName: opts.pgApplicationName } : {}),
  });
  const timeoutMs = config.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  const chain =
    opts.chain ??
    jsonRpcChainClient(
      opts.eip1193
        ? eip1193Transport(opts.eip1193, { timeoutMs })
        : httpTransport(config.rpcUrl, { timeoutMs }),
    );

  const metrics = createMetrics({ prefix: "sns_indexer_", collectDefault: !opts.eip1193 && !opts.chain });
  const conditions = new IndexerConditions(logger);
  const started = Date.now();
  let seen = 0;
  let follower!: Follower;
  const counters = registerIndexerMetrics(metrics.registry, () => follower);
  follower = new Follower({
    chain,
    store,
    conditions,
    addresses: config.addresses,
    startBlock: config.startBlock,
    batchSize: config.batchSize,
    ...(config.maxBatchSize ? { maxBatchSize: config.maxBatchSize } : {}),
    confirmations: config.confirmations,
    reorgDepth: config.reorgDepth,
    logger,
    ...(opts.retry ? { retry: opts.retry } : {}),
    onBatch: ({ from, to, target, events: n }) => {
      counters.batches.inc();
      counters.events.inc(n);
      seen += n;
      const span = Math.max(1, target - config.startBlock + 1);
      const pct = Math.min(100, ((to - config.startBlock + 1) / span) * 100);
      const secs = Math.max(0.001, (Date.now() - started) / 1000);
      logger.info(
        {
          from,
          to,
          target,
          progress: `${pct.toFixed(1)}%`,
          events: n,
          eventsPerSec: Math.round(seen / secs),
        },
        "indexed batch",
      );
    },
    onReorg: () => counters.reorgs.inc(),
  });
  const { app } = createApp({ follower, store, logger, metrics });
  try {
    await follower.init();
  } catch (err) {
    await store.close();
    throw err;
  }
  if (opts.waitForSync ?? true) {
    try {
      await follower.syncOnce();
    } catch (err) {
      // Serve what is indexed; the loop below keeps retrying (the conditions say why).
      logger.warn(
        { err: String(err), indexedTo: follower.indexedTo },
        "initial sync failed; serving what is indexed",
      );
    }
  }
  const abort = new AbortController();
  const loop = follower.run(config.pollMs, abort.signal, config.maxBackoffMs);
  const server = await startServer(app, {
    port: config.port,
    hostname: config.host,
    graceMs: STOP_GRACE_MS,
    ...(config.connections ? { connections: config.connections } : {}),
  });
  logger.info({ url: server.url, indexedTo: follower.indexedTo }, "sns-indexer listening");
  return {
    url: server.url,
    follower,
    store,
    server,
    logger,
    async stop() {
      abort.abort();
      let timer: NodeJS.Timeout | undefined;
      const [followerStopped] = await Promise.all([
        Promise.race([
          loop.then(() => true),
          new Promise<false>((resolve) => {
            timer = setTimeout(() => resolve(false), STOP_GRACE_MS);
          }),
        ]).finally(() => clearTimeout(timer)),
        server.close(),
      ]);
      if (!followerStopped)
        logger.warn(
          { waitedMs: STOP_GRACE_MS },
          "follower still busy (database call); closing the store under it",
        );
      await store.close();
    },
  };
}
