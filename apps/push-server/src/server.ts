import {
  createMetrics,
  errorBody,
  FaultMonitor,
  limitBody,
  monitoredStore,
  notFoundHandler,
  onErrorHandler,
  onionV4Handler,
  type X25519Keys,
} from "@session/service-kit";
import { Hono } from "hono";
import type { Logger } from "pino";
import { MemoryPendingStore, PENDING_OPERATIONS, type PendingStore } from "./db/pending.ts";
import { SUBSCRIPTION_OPERATIONS, type SubscriptionRepo } from "./db/repo.ts";
import { encryptNotification, type NotifyMessage } from "./domain/payload.ts";
import { NotificationQueue } from "./domain/queue.ts";
import { SUBSCRIBE_SIG_MAX_AGE_S } from "./domain/subscribe.ts";
import type { Notifier } from "./notifiers/types.ts";
import { SUBSCRIBE_PATHS, subscribeRoutes, subscribeTooLarge } from "./routes/subscribe.ts";
import { Watcher, type WatcherOptions } from "./watcher/watcher.ts";

/** Largest onion request body: a batch of subscriptions (100 000 bytes) plus onion framing. */
export const MAX_ONION_BODY = 256 * 1024;

export interface AppDeps {
  repo: SubscriptionRepo;
  /** Where queued notifications wait; without one they are held in memory only. */
  pending?: PendingStore;
  notifiers: ReadonlyMap<string, Notifier>;
  logger: Logger;
  /** HTTP to storage nodes (monitor streams): `nodeHttp().fetch` from @session/node-tls in production. */
  fetch: typeof fetch;
  listNodes: WatcherOptions["listNodes"];
  now?: () => number;
  /** When given, `POST /oxen/v4/lsrpc` serves onion requests encrypted to this key. */
  x25519Keys?: X25519Keys;
  nodeScheme?: "http" | "https";
  nodesPerAccount?: number;
  watcherRetryMs?: number;
  /** Further watcher tuning (tests shorten intervals). */
  watcher?: Partial<
    Omit<WatcherOptions, "repo" | "fetch" | "listNodes" | "onMessage" | "logger" | "registry">
  >;
  queueMax?: number;
  queueBaseBackoffMs?: number;
  queueMaxBackoffMs?: number;
}

export interface PushServer {
  app: Hono;
  /** Disk-full and database-loss conditions (also in /health and /metrics). */
  faults: FaultMonitor;
  watcher: Watcher;
  queue: NotificationQueue;
  /** Resumes queued notifications, starts watching the accounts stored, and the hourly expiry sweep. */
  start(): Promise<void>;
  /** Drops subscriptions whose signature is older than 14 days (the nodes would refuse it). */
  sweepExpired(): Promise<number>;
  /** Stops watching and sending; resolves once the sends in flight are recorded. */
  stop(): Promise<void>;
}

/** Enqueues one notification per device subscription that covers the message's namespace. */
export async function fanOut(
  repo: SubscriptionRepo,
  queue: NotificationQueue,
  msg: NotifyMessage,
): Promise<number> {
  let n = 0;
  for (const sub of await repo.forAccount(msg.pubkey)) {
    if (!sub.namespaces.includes(msg.namespace)) continue;
    const { data, ...rest } = msg;
    const m = sub.wantData && data ? { ...rest, data } : rest;
    if (
      await queue.enqueue({
        service: sub.service,
        token: sub.token,
        encPayload: encryptNotification(sub.encKey, m),
      })
    )
      n++;
  }
  return n;
}

/** The push server: HTTP API, account watcher and delivery queue, wired together. */
export function createApp(deps: AppDeps): PushServer {
  const metrics = createMetrics({ prefix: "push_" });
  const faults = new FaultMonitor({ logger: deps.logger, registry: metrics.registry, prefix: "push_" });
  // Every database operation reports to `faults`; reads that lost their connection are retried once.
  // PostgreSQL deletes without new space: there a deletion does not clear a full disk.
  const pending = deps.pending ?? new MemoryPendingStore();
  const repo = monitoredStore(deps.repo, faults, SUBSCRIPTION_OPERATIONS, {
    deletesNeedSpace: deps.repo.deletesNeedSpace,
  });
  const queue = new NotificationQueue({
    store: monitoredStore(pending, faults, PENDING_OPERATIONS, {
      deletesNeedSpace: pending.deletesNeedSpace,
    }),
    notifiers: deps.notifiers,
    onInvalidToken: async (service, token) => {
      await repo.removeToken(service, token);
    },
    logger: deps.logger,
    registry: metrics.registry,
    ...(deps.queueMax !== undefined ? { maxSize: deps.queueMax } : {}),
    ...(deps.queueBaseBackoffMs !== undefined ? { baseBackoffMs: deps.queueBaseBackoffMs } : {}),
    ...(deps.queueMaxBackoffMs !== undefined ? { maxBackoffMs: deps.queueMaxBackoffMs } : {}),
  });
  const watcher = new Watcher({
    repo,
    fetch: deps.fetch,
    listNodes: deps.listNodes,
    logger: deps.logger,
    registry: metrics.registry,
    onMessage: async (msg) => {
      await fanOut(repo, queue, msg);
    },
    ...(deps.nodeScheme ? { nodeScheme: deps.nodeScheme } : {}),
    ...(deps.nodesPerAccount ? { nodesPerAccount: deps.nodesPerAccount } : {}),
    ...(deps.watcherRetryMs ? { retryMs: deps.watcherRetryMs } : {}),
    ...deps.watcher,
  });

  const app = new Hono();
  app.use(metrics.middleware);
  // No route reads more than this (the onion endpoint's limit); routes set tighter ones.
  app.use(
    limitBody(MAX_ONION_BODY, {
      mode: "stream",
      onTooLarge: (c, max) =>
        SUBSCRIBE_PATHS.has(c.req.path)
          ? subscribeTooLarge(c)
          : c.json(errorBody("PAYLOAD_TOO_LARGE", `request body exceeds ${max} bytes`), 413),
    }),
  );
  app.onError(onErrorHandler(deps.logger, { faults }));
  app.notFound(notFoundHandler);
  subscribeRoutes(app, {
    repo,
    now: deps.now ?? Date.now,
    services: new Set(deps.notifiers.keys()),
    onChange: (pk) => watcher.refresh(pk),
  });
  if (deps.x25519Keys)
    app.post(
      "/oxen/v4/lsrpc",
      onionV4Handler({ x25519Keys: deps.x25519Keys, app, maxBodyBytes: MAX_ONION_BODY, logger: deps.logger }),
    );
  // `ok` false with the conditions while degraded: disk full (subscriptions and new notifications
  // refused) or the database connection lost (reconnecting).
  app.get("/health", (c) => {
    const { status, conditions } = faults.health();
    return c.json({ ok: status === "ok", queued: queue.size, ...(status === "ok" ? {} : { conditions }) });
  });
  app.get("/metrics", metrics.handler);

  const now = deps.now ?? Date.now;
  const sweepExpired = async () => {
    const accounts = await repo.removeSignedBefore(Math.floor(now() / 1000) - SUBSCRIBE_SIG_MAX_AGE_S);
    for (const pk of accounts) watcher.refresh(pk);
    if (accounts.length > 0) deps.logger.info({ accounts: accounts.length }, "expired subscriptions removed");
    return accounts.length;
  };
  let sweeper: NodeJS.Timeout | undefined;
  return {
    app,
    faults,
    watcher,
    queue,
    sweepExpired,
    start: async () => {
      await queue.start();
      await sweepExpired();
      await watcher.start();
      sweeper = setInterval(() => {
        sweepExpired().catch((err: unknown) => deps.logger.error({ err }, "expiry sweep failed"));
      }, 3_600_000);
      sweeper.unref();
    },
    stop: async () => {
      if (sweeper) clearInterval(sweeper);
      watcher.stop();
      await queue.stop();
    },
  };
}
