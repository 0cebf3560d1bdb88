import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  createLogger,
  createMetrics,
  type Logger,
  type RunningServer,
  startServer,
} from "@session/service-kit";
import { JsonRpcProvider, type Provider } from "ethers";
import { Counter, Gauge } from "prom-client";
import type { IndexerConfig } from "./config.ts";
import { type EventStore, openEventStore } from "./db/store.ts";
import { Follower } from "./domain/follower.ts";
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
  /** Use this provider instead of one for `config.rpcUrl` (tests: an in-process chain). */
  provider?: Provider;
  logger?: Logger;
  /** Postgres schema to use (tests isolate runs with it). */
  pgSchema?: string;
  /** Run the backfill to the current head before the API starts listening (default true). */
  waitForSync?: boolean;
}

/** Opens the store, backfills, then serves the API and follows new blocks until stopped. */
export async function startIndexer(
  config: IndexerConfig,
  opts: StartIndexerOptions = {},
): Promise<RunningIndexer> {
  const logger = opts.logger ?? createLogger({ name: "sns-indexer", level: config.logLevel });
  if (config.databaseUrl.startsWith("sqlite:")) {
    mkdirSync(dirname(config.databaseUrl.slice("sqlite:".length)), { recursive: true });
  }
  const store = await openEventStore(config.databaseUrl, opts.pgSchema ? { schema: opts.pgSchema } : {});
  const ownProvider = opts.provider
    ? undefined
    : new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true });
  const provider = opts.provider ?? ownProvider!;

  const metrics = createMetrics({ prefix: "sns_indexer_", collectDefault: !opts.provider });
  const batches = new Counter({
    name: "sns_indexer_batches_total",
    help: "Log batches committed",
    registers: [metrics.registry],
  });
  const events = new Counter({
    name: "sns_indexer_events_total",
    help: "Contract events indexed",
    registers: [metrics.registry],
  });
  const reorgs = new Counter({
    name: "sns_indexer_reorgs_total",
    help: "Reorganisations rolled back",
    registers: [metrics.registry],
  });
  const indexed = new Gauge({
    name: "sns_indexer_indexed_block",
    help: "Last indexed block",
    registers: [metrics.registry],
  });
  const started = Date.now();
  let seen = 0;
  const follower = new Follower({
    provider,
    store,
    addresses: config.addresses,
    startBlock: config.startBlock,
    batchSize: config.batchSize,
    ...(config.maxBatchSize ? { maxBatchSize: config.maxBatchSize } : {}),
    confirmations: config.confirmations,
    reorgDepth: config.reorgDepth,
    logger,
    onBatch: ({ from, to, target, events: n }) => {
      batches.inc();
      events.inc(n);
      indexed.set(to);
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
    onReorg: () => reorgs.inc(),
  });
  const { app } = createApp({ follower, logger, metrics });
  await follower.init();
  if (opts.waitForSync ?? true) await follower.syncOnce();
  const abort = new AbortController();
  const loop = follower.run(config.pollMs, abort.signal);
  const server = await startServer(app, {
    port: config.port,
    hostname: config.host,
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
      await loop;
      await server.close();
      ownProvider?.destroy();
      await store.close();
    },
  };
}
