import cluster, { type Worker } from "node:cluster";
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { NodeInfo } from "@session/protocol";
import { createLogger, DEFAULT_CONNECTION_LIMITS, DEFAULT_GRACE_MS } from "@session/service-kit";
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from "prom-client";
import type { NodeConfig } from "../config.ts";
import { loadNodeKeys, loadTlsCertificate } from "../keys.ts";
import { registrySourceFor, type StartNodeOptions, startNode } from "../node.ts";
import { ConnectionDispatcher } from "./connection-dispatch.ts";
import {
  isWorkerMessage,
  type OwnerMessage,
  ownerSocketPath,
  WORKER_ENV,
  type WorkerSettings,
} from "./protocol.ts";

/** How long past the node's grace deadline a stopping worker may take before it is killed. */
const WORKER_KILL_AFTER_MS = 1_000;
/** What the owner keeps for its own stop when the workers used up the grace period. */
const OWNER_MIN_GRACE_MS = 250;
/** How long /metrics waits for a worker's numbers. */
const METRICS_WAIT_MS = 2_000;
/** A replacement for a worker that died within this long of its start waits as long first. */
const RESTART_BACKOFF_MS = 1_000;
/** How long a connection waits for a worker when none is ready (all restarting, say). */
const CONNECTION_HOLD_MS = 5_000;

export interface RunningCluster {
  /** The public URL clients use (the owner's listener, served by the workers). */
  url: string;
  /** Worker pids serving now (the owner's own pid when it is a single process). */
  workerPids(): number[];
  stop(): Promise<void>;
}

export interface StartNodeClusterOptions extends Pick<StartNodeOptions, "logger" | "clock" | "registry"> {
  /** Worker processes (`auto`: every core; default the config's SESSION_NODE_WORKERS, else 1); 1 runs `startNode` here. */
  workers?: number | "auto";
}

/** How many worker processes a setting asks for: `auto` is every core, unset is one. */
export function workerCount(setting: number | "auto" | undefined): number {
  return setting === "auto" ? availableParallelism() : (setting ?? 1);
}

/**
 * Runs a node on every core (README "Using every core"). With one worker it is `startNode` in this
 * process. Otherwise this process becomes the owner — registry poll, replication, sweep, monitor
 * streams, node links, onion handling and every write but the clients' stores — on a Unix
 * socket — and holds the public port, passing each connection to the `workers` processes
 * (node:cluster) with the fewest open (connection-dispatch.ts). A worker serves TLS, the storage
 * RPC's reads, stores (committed on its own connection before it answers them) and onion
 * requests. A worker that dies is logged and replaced.
 */
export async function startNodeCluster(
  config: NodeConfig,
  opts: StartNodeClusterOptions = {},
): Promise<RunningCluster> {
  const count = workerCount(opts.workers ?? config.workers);
  const logger = opts.logger ?? createLogger({ name: "session-node", level: config.logLevel });
  if (count <= 1) {
    const node = await startNode(config, { ...opts, logger });
    return { url: node.url, workerPids: () => [process.pid], stop: () => node.stop() };
  }

  // Created once, before any worker reads them.
  loadNodeKeys(config.dataDir);
  if (!config.http) await loadTlsCertificate(config.dataDir, config.publicIp);
  const socketPath = ownerSocketPath(config.dataDir);
  const secret = randomBytes(32).toString("hex");

  // Workers keep their own copy of the registry: every list the owner loads is sent to them.
  const source = opts.registry ?? registrySourceFor(config, logger);
  let nodes: NodeInfo[] | undefined;
  const broadcast = (m: OwnerMessage) => {
    for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send(m);
  };
  const registry = {
    description: source.description,
    height: () => source.height?.(),
    async load() {
      nodes = await source.load();
      broadcast({ type: "session-node:nodes", nodes });
      return nodes;
    },
  };

  const live = new Map<number, Worker>();
  let nextMetricsId = 0;
  const waiting = new Map<number, (m: MetricObjectWithValues<MetricValue<string>>[]) => void>();
  const workerMetrics = (w: Worker) =>
    new Promise<MetricObjectWithValues<MetricValue<string>>[]>((resolve) => {
      const id = nextMetricsId++;
      const t = setTimeout(() => {
        waiting.delete(id);
        resolve([]); // a worker too busy (or dying) is left out of this scrape
      }, METRICS_WAIT_MS);
      waiting.set(id, (m) => {
        clearTimeout(t);
        waiting.delete(id);
        resolve(m);
      });
      w.send({ type: "session-node:metrics", id } satisfies OwnerMessage);
    });
  const workerPids = () => [...live.values()].map((w) => w.process.pid!).sort((a, b) => a - b);
  const owner = await startNode(config, {
    ...opts,
    logger,
    registry,
    owner: {
      socketPath,
      secret,
      cluster: {
        workers: () => ({ count: live.size, pids: workerPids() }),
        async httpMetrics(own: Registry) {
          const all = await Promise.all([own.getMetricsAsJSON(), ...[...live.values()].map(workerMetrics)]);
          return AggregatorRegistry.aggregate(all).metrics();
        },
      },
    },
  });

  // The public port is the owner's: it accepts each connection and passes it to a worker
  // (connection-dispatch.ts). A connection waits (paused) until a worker is ready.
  const dispatcher = new ConnectionDispatcher({
    maxPerAddress:
      config.connections?.maxConnectionsPerAddress ?? DEFAULT_CONNECTION_LIMITS.maxConnectionsPerAddress,
    holdMs: CONNECTION_HOLD_MS,
  });
  const listener: Server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) =>
    dispatcher.accept(socket),
  );
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(config.port, config.host, () => {
        listener.off("error", reject);
        resolve((listener.address() as { port: number }).port);
      });
    });
  } catch (err) {
    await owner.stop();
    throw err;
  }
  // A failed accept (EMFILE and the like) is logged, not fatal: the listener goes on.
  listener.on("error", (err) => logger.error({ err: String(err) }, "public listener error"));
  let stopping = false;
  const started = new Map<number, number>();
  cluster.setupPrimary({ exec: fileURLToPath(new URL(`./worker-main${workerExt}`, import.meta.url)) });
  const fork = () => {
    const settings: WorkerSettings = { config, socketPath, secret };
    const w = cluster.fork({ [WORKER_ENV]: JSON.stringify(settings) });
    started.set(w.id, Date.now());
    w.on("message", (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === "session-node:took") dispatcher.took(w.id, m.id);
      else if (m.type === "session-node:closed") dispatcher.closedByWorker(w.id, m.id);
      else if (m.type === "session-node:hello")
        // No list yet (the registry did not answer): the worker answers "not ready" as the node would.
        w.send({ type: "session-node:nodes", nodes: nodes ?? [] } satisfies OwnerMessage);
      else if (m.type === "session-node:metrics") waiting.get(m.id)?.(m.metrics);
    });
    return new Promise<void>((resolve, reject) => {
      const failed = (code: number | null) => reject(new Error(`worker exited during start (${code})`));
      w.once("exit", failed);
      const ready = (m: unknown) => {
        if (!isWorkerMessage(m) || m.type !== "session-node:ready") return;
        w.off("message", ready);
        w.off("exit", failed);
        live.set(w.id, w);
        // The owner keeps its copy until the worker says it took the connection: a pass to a worker
        // that dies first is closed here (dispatcher.gone), never left open.
        dispatcher.ready(w.id, {
          pass: (id: number, socket: Socket) =>
            w.send(
              { type: "session-node:connection", id } satisfies OwnerMessage,
              socket,
              { keepOpen: true },
              (err) => {
                if (err) dispatcher.lost(id);
              },
            ),
        });
        resolve();
      };
      w.on("message", ready);
    });
  };
  cluster.on("exit", (w, code, signal) => {
    dispatcher.gone(w.id);
    const wasLive = live.delete(w.id);
    if (stopping || !wasLive) return;
    // No addresses or account IDs here: which worker, and how it ended.
    logger.warn({ worker: w.process.pid, code, signal }, "worker died; starting a replacement");
    const ranFor = Date.now() - (started.get(w.id) ?? 0);
    started.delete(w.id);
    setTimeout(
      () => {
        if (!stopping)
          fork().catch((err: unknown) =>
            logger.error({ err: String(err) }, "replacement worker failed to start"),
          );
      },
      ranFor < RESTART_BACKOFF_MS ? RESTART_BACKOFF_MS : 0,
    );
  });

  try {
    await Promise.all(Array.from({ length: count }, fork));
  } catch (err) {
    stopping = true;
    dispatcher.close();
    listener.close();
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGKILL");
    await owner.stop();
    throw err;
  }
  const url = `${config.http ? "http" : "https"}://${config.host}:${port}`;
  logger.info({ url, pubkey_ed25519: owner.info.pubkey_ed25519, workers: count }, "storage node listening");

  let stopped: Promise<void> | undefined;
  return {
    url,
    workerPids,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // No new connections: the port closes, and those waiting for a worker are closed.
        listener.close();
        dispatcher.close();
        // One grace period for the whole node (docker stop kills at 10 s): workers first (they
        // finish the requests in hand, stores included, committed by each worker), then the
        // owner with what is left of it.
        const deadline = Date.now() + DEFAULT_GRACE_MS;
        await Promise.all(
          Object.values(cluster.workers ?? {}).map(
            (w) =>
              new Promise<void>((resolve) => {
                if (!w || w.isDead()) return resolve();
                const kill = setTimeout(
                  () => {
                    logger.warn({ worker: w.process.pid }, "worker did not stop in time; killed");
                    w.process.kill("SIGKILL");
                  },
                  deadline - Date.now() + WORKER_KILL_AFTER_MS,
                );
                w.once("exit", () => {
                  clearTimeout(kill);
                  resolve();
                });
                if (w.isConnected())
                  w.send({ type: "session-node:shutdown", deadline } satisfies OwnerMessage);
                else w.process.kill("SIGTERM");
              }),
          ),
        );
        await owner.stop(Math.max(OWNER_MIN_GRACE_MS, deadline - Date.now()));
      })();
      return stopped;
    },
  };
}

/** Workers run the same kind of files as this one: TypeScript through tsx, or the built JS. */
const workerExt = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
