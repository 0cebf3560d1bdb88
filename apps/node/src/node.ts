import { EventEmitter } from "node:events";
import { rmSync } from "node:fs";
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { type AccountKeys, toHex } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import { LINK_PEER_AUTH_BYTES } from "@session/protocol/onion";
import {
  connectionServerOptions,
  createLogger,
  DEFAULT_GRACE_MS,
  FaultMonitor,
  type Logger,
} from "@session/service-kit";
import { Registry } from "prom-client";
import { Agent, fetch as undiciFetch } from "undici";
import { ownerGate } from "./cluster/owner-gate.ts";
import type { NodeConfig } from "./config.ts";
import type { ClusterView, NodeContext } from "./deps.ts";
import { loadNodeKeys, loadTlsCertificate } from "./keys.ts";
import { indexerNameResolver } from "./names/resolver.ts";
import { registerNodeMetrics } from "./node-metrics.ts";
import { dispatcherPost } from "./onion/http.ts";
import { DEFAULT_ONION_LIMITS } from "./onion/limits.ts";
import { acceptNodeLinks, nodeLinks } from "./onion/node-link.ts";
import { DEFAULT_ONION_SERVER_POLICY, serverPost } from "./onion/server-destination.ts";
import { peerClient } from "./replication/peer.ts";
import { Redelivery } from "./replication/redelivery.ts";
import { DEFAULT_REPLICATION_PAGE, SwarmSync } from "./replication/sync.ts";
import { DEFAULT_TOMBSTONE_PULL_MS, Tombstones } from "./replication/tombstones.ts";
import { RpcHandler } from "./rpc/handler.ts";
import { VerifyThread } from "./rpc/verify-thread.ts";
import type { NameResolver } from "./rpc/oxend.ts";
import { createApp } from "./server.ts";
import { guardNodeServer } from "./server-guards.ts";
import { SubaccountRevocations } from "./storage/revocations.ts";
import { MessageStore } from "./storage/store.ts";
import { fileRegistry, httpRegistry, Membership, type RegistrySource } from "./swarm/membership.ts";

/** Expired rows one sweep statement removes. */
const SWEEP_STEP = 5000;
/** How often what a swarm peer missed (stores, deletes, …) is sent again. */
const REDELIVERY_MS = 5000;

export interface RunningNode {
  url: string;
  keys: AccountKeys;
  /** This node as a registry entry (swarm_id "0" until assigned). */
  info: Omit<NodeInfo, "swarm_id">;
  ctx: NodeContext;
  /** Re-reads the registry now (tests; otherwise it is polled). */
  refreshRegistry(): Promise<void>;
  /** Stops the node: requests in hand get `graceMs` (default DEFAULT_GRACE_MS) to finish. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartNodeOptions {
  clock?: { now(): number };
  logger?: Logger;
  registry?: RegistrySource;
  /** Name records for `oxend_request` `ons_resolve` (e.g. from the name registry contract). */
  names?: NameResolver;
  /**
   * Run as the owner process of a cluster (src/cluster/): plain HTTP on a Unix socket that only
   * the workers use (they terminate TLS and serve the public port), instead of the public port.
   */
  owner?: { socketPath: string; secret: string; cluster: ClusterView };
}

/** The registry the config names: the sns-indexer's (REGISTRY_URL) or a static file. */
export function registrySourceFor(config: NodeConfig, logger: Logger): RegistrySource {
  return config.registry.url
    ? httpRegistry(config.registry.url, {
        onRefused: (count) =>
          logger.warn({ count }, "registry entries without a valid node key proof ignored"),
      })
    : fileRegistry(config.registry.file ?? "registry.json");
}

/** Starts a storage node: keys and database in `config.dataDir`, HTTP(S) server, registry polling. */
export async function startNode(config: NodeConfig, opts: StartNodeOptions = {}): Promise<RunningNode> {
  const logger = opts.logger ?? createLogger({ name: "session-node", level: config.logLevel });
  const clock = opts.clock ?? { now: () => Date.now() };
  const keys = loadNodeKeys(config.dataDir);
  const selfHex = toHex(keys.ed25519.publicKey);
  const store = MessageStore.open(join(config.dataDir, "storage.db"));
  const revocations = new SubaccountRevocations(store.db);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const membership = new Membership(selfHex);
  const registry = opts.registry ?? registrySourceFor(config, logger);

  // Nodes use self-signed certificates; peers are authenticated by their keys instead.
  const agent = config.http ? undefined : new Agent({ connect: { rejectUnauthorized: false } });
  const nodeFetch: typeof fetch = agent
    ? (((input: string, init?: RequestInit) =>
        undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch)
    : fetch;
  // Onion relays and swarm fan-out to other nodes: undici request on keep-alive connections.
  const relayAgent = agent ?? new Agent();
  const httpPost = dispatcherPost(relayAgent);
  // Onion relays and swarm forwards go over one persistent node link per peer (HTTP to peers
  // without one).
  const links =
    config.nodeLinks === false
      ? undefined
      : nodeLinks(httpPost, { maxReplyBytes: DEFAULT_ONION_LIMITS.maxReplyBytes });
  const nodePost = links?.post ?? httpPost;
  const finalHopServers = serverPost(config.onionServers ?? DEFAULT_ONION_SERVER_POLICY);
  const peers = peerClient({
    keys: keys.ed25519,
    scheme: config.http ? "http" : "https",
    fetch: nodeFetch,
    dispatcher: relayAgent,
    now: () => clock.now(),
    ...(links ? { links } : {}),
  });

  const metrics = new Registry();
  const counters = registerNodeMetrics(metrics, {
    storedMessages: () => store.count(clock.now()),
    swarmPeers: () => membership.peers().length,
    revokedSubaccounts: () => revocations.total(),
    tombstones: () => tombstones.count(clock.now()),
    redeliveryQueued: () => redelivery.size,
    nodeLinks: () => ({ out: links?.open ?? 0, in: linkServer.open }),
  });

  // What the swarm-facing parts (redelivery, tombstones, the RPC, catch-up sync) all work on.
  const shared = { store, revocations, membership, peers, clock, logger };
  const redelivery = new Redelivery({
    ...shared,
    onFlushed: (r) => {
      counters.redelivered.inc({ outcome: "delivered" }, r.delivered);
      counters.redelivered.inc({ outcome: "dropped" }, r.dropped);
    },
  });
  const tombstones = new Tombstones({
    ...shared,
    onAccepted: (outcome) => counters.tombstonesPulled.inc({ outcome }),
  });
  // ons_resolve is answered from the chain through the indexer (none with a static registry file),
  // unless the caller brings its own resolver.
  const names = opts.names ?? (config.registry.url ? indexerNameResolver(config.registry.url) : undefined);
  const faults = new FaultMonitor({ logger, registry: metrics, prefix: "session_node_" });
  const verifyThread = (config.verifyThread ?? true) ? new VerifyThread() : undefined;
  const rpc = new RpcHandler({
    ...shared,
    verifyThread,
    faults,
    names,
    keys,
    selfEd25519Hex: selfHex,
    events,
    redelivery,
    // The chain height the registry reports (info, ifelse, get_service_nodes); 0 for a static file.
    height: () => registry.height?.() ?? 0,
    tombstones,
  });
  const sync = new SwarmSync({
    ...shared,
    tombstones,
    onImported: (m) => events.emit("stored", { ...m, pubkey: m.owner }),
    onSyncPage: (direction) => counters.syncPages.inc({ direction }),
    // An import page must fit the receiving node's body limit (the same setting network-wide).
    page: {
      messages: config.replicationPage?.messages ?? DEFAULT_REPLICATION_PAGE.messages,
      bytes: Math.min(
        config.replicationPage?.bytes ?? DEFAULT_REPLICATION_PAGE.bytes,
        Math.floor(config.maxBodyBytes / 2),
      ),
    },
  });
  const ctx: NodeContext = {
    ...(names ? { names } : {}),
    faults,
    config,
    keys,
    clock,
    logger,
    metrics,
    store,
    revocations,
    membership,
    rpc,
    sync,
    redelivery,
    tombstones,
    events,
    network: {
      self: () => membership.self(),
      nodeByEd25519: (h) => membership.nodeByEd25519(h),
      nodeByX25519: (h) => membership.nodeByX25519(h),
      allNodes: () => membership.allNodes(),
    },
    fetch: nodeFetch,
    nodePost,
    serverPost: finalHopServers.post,
    ...(opts.owner ? { cluster: opts.owner.cluster } : {}),
  };
  const { app, monitor, fastPath, linkHandlers } = createApp(ctx);

  // A cluster's owner leaves TLS to its workers.
  const tls =
    config.http || opts.owner ? undefined : await loadTlsCertificate(config.dataDir, config.publicIp);
  let gate: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: config.host,
    // The storage RPC fast path answers first; everything else goes to Hono's listener.
    createServer: ((options: object, listener: (req: IncomingMessage, res: ServerResponse) => void) => {
      const first = (req: IncomingMessage, res: ServerResponse) => {
        if (gate?.(req, res)) return;
        if (!fastPath(req, res)) listener(req, res);
      };
      return tls ? createHttpsServer(options, first) : createHttpServer(options, first);
    }) as typeof createHttpsServer,
    // Header/request/keep-alive (and TLS handshake) timeouts; the owner keeps its workers'
    // connections open while idle (they are few and reused).
    serverOptions: {
      ...connectionServerOptions(
        opts.owner ? { ...config.connections, keepAliveTimeoutMs: 600_000 } : config.connections,
      ),
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    },
  });
  if (opts.owner) {
    gate = ownerGate(ctx, server as unknown as HttpServer, opts.owner.secret);
    // A socket file left by a node that was killed would refuse the listen.
    rmSync(opts.owner.socketPath, { force: true });
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (opts.owner) server.listen(opts.owner.socketPath, resolve);
    else server.listen(config.port, config.host, resolve);
  });
  const closer = guardNodeServer(server as unknown as HttpServer, config, tls !== undefined);
  const linkServer = acceptNodeLinks(server as unknown as HttpServer, linkHandlers, {
    // The larger of an onion body and a peer request (with its auth fields).
    maxBodyBytes: Math.max(DEFAULT_ONION_LIMITS.maxBodyBytes, config.maxBodyBytes + LINK_PEER_AUTH_BYTES),
    logger,
  });
  const port = opts.owner ? config.port : (server.address() as AddressInfo).port;
  const url = opts.owner
    ? `unix:${opts.owner.socketPath}`
    : `${config.http ? "http" : "https"}://${config.host}:${port}`;
  const info = {
    pubkey_ed25519: selfHex,
    pubkey_x25519: toHex(keys.x25519.publicKey),
    public_ip: config.publicIp,
    storage_port: config.publicPort ?? port,
  };

  // Membership changes (and our own start) trigger rebalancing and catch-up; one run at a time.
  // Catch-up pulls the swarm's messages from each peer, so it runs only when this node is new to
  // its swarm (it just started, or a re-cut moved it), from the peers it found there; a peer that
  // did not answer every page is asked again at the next registry poll. Changes elsewhere in the
  // network leave it be: nodes that join our swarm pull from us.
  let catchUpIn: { swarm: bigint; pending: Set<string> } | undefined;
  let syncing: Promise<void> | undefined;
  const runSync = () => {
    syncing ??= (async () => {
      try {
        counters.rebalanced.inc(await sync.rebalance());
        const swarm = membership.mySwarm()?.id;
        if (swarm === undefined) catchUpIn = undefined;
        else {
          if (catchUpIn?.swarm !== swarm) {
            catchUpIn = { swarm, pending: new Set(membership.peers().map((p) => p.pubkey_ed25519)) };
          }
          if (catchUpIn.pending.size > 0) {
            const r = await sync.catchUp(catchUpIn.pending);
            // Then the deletes this node missed meanwhile (every peer's tombstones, the first time).
            await tombstones.pull();
            counters.caughtUp.inc(r.messages);
            for (const p of r.done) catchUpIn.pending.delete(p);
            // Peers that left the swarm meanwhile are not waited for.
            const current = new Set(membership.peers().map((p) => p.pubkey_ed25519));
            for (const p of catchUpIn.pending) if (!current.has(p)) catchUpIn.pending.delete(p);
          }
        }
      } catch (err) {
        logger.warn({ err: String(err) }, "swarm sync failed");
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  };
  membership.on("changed", () => {
    const s = membership.mySwarm();
    logger.info({ swarm: s?.id.toString(16), members: s?.members.length ?? 0 }, "swarm membership changed");
    void runSync();
  });
  const refreshRegistry = async () => {
    try {
      // A change runs the sync itself; without one, a catch-up still owed is retried.
      if (!membership.update(await registry.load()) && catchUpIn && catchUpIn.pending.size > 0)
        void runSync();
    } catch (err) {
      logger.warn({ err: String(err), source: registry.description }, "registry refresh failed");
    }
    await syncing;
  };
  await refreshRegistry();
  const registryTimer = setInterval(() => void refreshRegistry(), config.registry.pollMs);
  // What a peer missed is sent again every REDELIVERY_MS (one attempt at a time).
  const redeliveryTimer = setInterval(() => {
    if (redelivery.size > 0)
      redelivery.flush().catch((err: unknown) => logger.warn({ err: String(err) }, "redelivery failed"));
  }, REDELIVERY_MS);
  redeliveryTimer.unref();
  // Deletes a member missed for longer than redelivery tries (it was down or cut off) are
  // repaired from its peers' tombstones, pulled every TOMBSTONE_PULL_MS (tombstones.ts).
  const tombstoneTimer = setInterval(() => {
    tombstones.pull().catch((err: unknown) => logger.warn({ err: String(err) }, "tombstone pull failed"));
  }, config.tombstonePullMs ?? DEFAULT_TOMBSTONE_PULL_MS);
  tombstoneTimer.unref();
  // Expired messages go in steps of SWEEP_STEP rows, yielding between them, so a large backlog
  // (a node back after days) does not hold the event loop; one sweep runs at a time.
  let sweeping: Promise<void> | undefined;
  let stopped = false;
  const sweepTimer = setInterval(() => {
    sweeping ??= (async () => {
      try {
        for (;;) {
          const n = store.sweep(clock.now(), SWEEP_STEP);
          counters.swept.inc(n);
          if (n < SWEEP_STEP) break;
          await new Promise((r) => setImmediate(r));
          if (stopped) return;
        }
        revocations.dropOrphans();
        tombstones.sweep(clock.now());
      } catch (err) {
        logger.warn({ err: String(err) }, "sweep failed");
      } finally {
        sweeping = undefined;
      }
    })();
  }, config.sweepIntervalMs);
  registryTimer.unref();
  sweepTimer.unref();
  // A cluster announces its public URL once its workers listen (src/cluster/start.ts).
  logger.info(
    { url, pubkey_ed25519: selfHex, registry: registry.description },
    opts.owner ? "node owner listening" : "storage node listening",
  );

  let stopping: Promise<void> | undefined;
  return {
    url,
    keys,
    info,
    ctx,
    refreshRegistry,
    stop(graceMs = DEFAULT_GRACE_MS) {
      stopping ??= (async () => {
        clearInterval(registryTimer);
        clearInterval(sweepTimer);
        clearInterval(redeliveryTimer);
        clearInterval(tombstoneTimer);
        stopped = true;
        monitor.close();
        // Stop accepting; finish requests in flight. Idle keep-alive sockets close at once, and so
        // does each one whose request completes (node:http would otherwise keep it for its
        // keep-alive timeout), and each connection that has not begun a request; whatever is
        // still open after DEFAULT_GRACE_MS (3 s, well inside docker stop's 10 s) is cut.
        // Node links refuse new requests now (503) and close once the ones in hand are answered.
        const linksClosed = linkServer.close(graceMs);
        await closer.close({ graceMs, pollMs: 50 });
        await linksClosed;
        await syncing;
        await sweeping;
        await redelivery.settled();
        await tombstones.settled();
        links?.close();
        await relayAgent.close();
        await finalHopServers.close();
        await verifyThread?.close();
        store.close();
      })();
      return stopping;
    },
  };
}
