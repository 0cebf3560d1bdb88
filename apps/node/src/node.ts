import { EventEmitter } from "node:events";
import { join } from "node:path";
import { type AccountKeys, toHex } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import { createLogger, DEFAULT_GRACE_MS, FaultMonitor, type Logger } from "@session/service-kit";
import { Registry } from "prom-client";
import { Agent, fetch as undiciFetch } from "undici";
import { startBackgroundJobs } from "./background-jobs.ts";
import type { NodeConfig } from "./config.ts";
import { CryptoThread } from "./crypto-thread.ts";
import type { ClusterView, NodeContext } from "./deps.ts";
import { loadNodeKeys } from "./keys.ts";
import { announceArrivals } from "./monitor/arrivals.ts";
import { indexerNameResolver } from "./names/resolver.ts";
import { registerNodeMetrics } from "./node-metrics.ts";
import { listenNode } from "./node-server.ts";
import { dispatcherPost } from "./onion/http.ts";
import { DEFAULT_ONION_LIMITS } from "./onion/limits.ts";
import { nodeLinks } from "./onion/node-link.ts";
import { DEFAULT_ONION_SERVER_POLICY, serverPost } from "./onion/server-destination.ts";
import { peerClient } from "./replication/peer.ts";
import { Redelivery } from "./replication/redelivery.ts";
import { DEFAULT_REPLICATION_PAGE, SwarmSync } from "./replication/sync.ts";
import { Tombstones } from "./replication/tombstones.ts";
import { RpcHandler } from "./rpc/handler.ts";
import type { NameResolver } from "./rpc/oxend.ts";
import { createApp } from "./server.ts";
import { SubaccountRevocations } from "./storage/revocations.ts";
import { MessageStore } from "./storage/store.ts";
import { fileRegistry, httpRegistry, Membership, type RegistrySource } from "./swarm/membership.ts";

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
  // A cluster's owner announces what it reads from the database (monitor/arrivals.ts), its own
  // stores and imports included: announcing them as they are made too would say them twice.
  const madeHere = opts.owner ? new EventEmitter() : events;
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

  // Request signature checks and onion X25519 of busy turns (RpcHandler, onion/turn-opens.ts).
  const cryptoThread = config.verifyThread ? new CryptoThread() : undefined;
  const metrics = new Registry();
  const counters = registerNodeMetrics(metrics, {
    storedMessages: () => store.count(clock.now()),
    swarmPeers: () => membership.peers().length,
    revokedSubaccounts: () => revocations.total(),
    tombstones: () => tombstones.count(clock.now()),
    redeliveryQueued: () => redelivery.size,
    nodeLinks: () => ({ out: links?.open ?? 0, in: server.links.open }),
    signaturesOnThread: () => cryptoThread?.checked ?? 0,
    x25519OnThread: () => cryptoThread?.sharedSecrets ?? 0,
    walCheckpoints: () => store.checkpoints,
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
  const rpc = new RpcHandler({
    ...shared,
    cryptoThread,
    faults,
    names,
    keys,
    selfEd25519Hex: selfHex,
    events: madeHere,
    redelivery,
    // The chain height the registry reports (info, ifelse, get_service_nodes); 0 for a static file.
    height: () => registry.height?.() ?? 0,
    tombstones,
  });
  const sync = new SwarmSync({
    ...shared,
    tombstones,
    onImported: (m) => madeHere.emit("stored", { ...m, pubkey: m.owner }),
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
    ...(cryptoThread ? { cryptoThread } : {}),
  };
  const nodeApp = createApp(ctx);
  const arrivals = opts.owner
    ? announceArrivals({
        store,
        watching: () => nodeApp.monitor.hub.watching(),
        announce: (m) => events.emit("stored", m),
        onError: (err) =>
          logger.error({ err: String(err) }, "reading new messages for monitor streams failed"),
      })
    : undefined;
  const server = await listenNode(ctx, nodeApp, opts.owner);
  const { url, port } = server;
  const info = {
    pubkey_ed25519: selfHex,
    pubkey_x25519: toHex(keys.x25519.publicKey),
    public_ip: config.publicIp,
    storage_port: config.publicPort ?? port,
  };
  const jobs = await startBackgroundJobs({
    ...shared,
    config,
    counters,
    registry,
    sync,
    redelivery,
    tombstones,
  });
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
    refreshRegistry: jobs.refreshRegistry,
    stop(graceMs = DEFAULT_GRACE_MS) {
      stopping ??= (async () => {
        jobs.stop();
        arrivals?.stop();
        nodeApp.monitor.close();
        // Requests in flight get `graceMs` (DEFAULT_GRACE_MS, 3 s, well inside docker stop's 10 s).
        await server.close(graceMs);
        await jobs.settled();
        await redelivery.settled();
        await tombstones.settled();
        links?.close();
        await relayAgent.close();
        await finalHopServers.close();
        await cryptoThread?.close();
        store.close();
      })();
      return stopping;
    },
  };
}
