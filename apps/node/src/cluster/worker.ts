import { EventEmitter } from "node:events";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { join } from "node:path";
import { toHex } from "@session/crypto";
import {
  connectionServerOptions,
  createLogger,
  createMetrics,
  DEFAULT_GRACE_MS,
  FaultMonitor,
  TokenBuckets,
} from "@session/service-kit";
import { Agent, fetch as undiciFetch } from "undici";
import { loadNodeKeys, loadTlsCertificate } from "../keys.ts";
import { dispatcherPost } from "../onion/http.ts";
import { DEFAULT_ONION_LIMITS, linkMaxBodyBytes } from "../onion/limits.ts";
import { acceptNodeLinks, nodeLinks } from "../onion/node-link.ts";
import { onionService } from "../onion/routes.ts";
import { DEFAULT_ONION_SERVER_POLICY, serverPost } from "../onion/server-destination.ts";
import type { PeerClient } from "../replication/peer.ts";
import { RpcHandler, type RpcResult } from "../rpc/handler.ts";
import { storageRpcFastPath } from "../rpc/http-fast-path.ts";
import { storageRpcRoute } from "../rpc/storage-rpc-route.ts";
import { guardNodeServer } from "../server-guards.ts";
import { SubaccountRevocations } from "../storage/revocations.ts";
import { SharedWriter } from "../storage/shared-writer.ts";
import { MessageStore } from "../storage/store.ts";
import { Membership } from "../swarm/membership.ts";
import { ownerClient } from "./owner-client.ts";
import { type OwnerMessage, WORKER_HEADER, type WorkerMessage, type WorkerSettings } from "./protocol.ts";
import { ownerProxy } from "./proxy.ts";

/** Methods a worker answers itself: stores it writes, the rest from its view of the database and registry. */
const SERVED_HERE = new Set(["store", "retrieve", "get_expiries", "info", "get_swarm"]);

/** Workers never speak the node-to-node RPC: that is the owner's (stores fan out there); onion relays are plain requests. */
const noPeers: PeerClient = {
  post: () => Promise.reject(new Error("cluster workers do not contact peers")),
  sign: () => {
    throw new Error("cluster workers do not contact peers");
  },
  send: () => Promise.reject(new Error("cluster workers do not contact peers")),
};

/**
 * One worker process of a cluster (README "Using every core"): TLS and HTTP on the public port,
 * and the client storage RPC — retrieve, get_expiries, info and get_swarm from a read-only
 * connection to the database; a store checked, hashed, signed and committed here on a connection
 * of its own (storage/shared-writer.ts), then sent on to the swarm peers through the owner (whose
 * monitor streams read it from the database); onion requests, relays included. Everything else
 * goes to the owner (proxy.ts). Stops on the owner's word.
 */
export async function runWorker(s: WorkerSettings): Promise<void> {
  const { config } = s;
  const logger = createLogger({ name: "session-node", level: config.logLevel }).child({
    worker: process.pid,
  });
  const send = (m: WorkerMessage) => process.send?.(m);
  const keys = loadNodeKeys(config.dataDir);
  const selfHex = toHex(keys.ed25519.publicKey);
  const store = MessageStore.openReadOnly(join(config.dataDir, "storage.db"));
  const membership = new Membership(selfHex);
  const clock = { now: () => Date.now() };
  const metricPrefix = "session_node_";
  const metrics = createMetrics({ prefix: metricPrefix });
  // A full disk refuses this worker's stores: logged once, in /metrics (summed with the owner's).
  const faults = new FaultMonitor({ logger, registry: metrics.registry, prefix: metricPrefix });
  const writer = SharedWriter.open(join(config.dataDir, "storage.db"));
  const owner = ownerClient(s.socketPath, s.secret, logger);
  const rpc = new RpcHandler({
    store,
    revocations: new SubaccountRevocations(store.db),
    membership,
    keys,
    selfEd25519Hex: selfHex,
    clock,
    // The owner announces what its workers commit: it reads the new rows (monitor/arrivals.ts).
    events: new EventEmitter(),
    faults,
    writer,
    // The owner holds the node links and redelivery: a store goes on to the peers from there.
    fanOutStore: async (raw, swarm, hash) => {
      const peers = membership.peers().map((p) => p.pubkey_ed25519);
      if (peers.length > 0) Object.assign(swarm, await owner.fanOut(raw, hash, peers));
    },
    peers: noPeers,
    logger,
  });
  const workerRpc = {
    async handle(body: unknown): Promise<RpcResult> {
      const method =
        typeof body === "object" && body !== null ? (body as { method?: unknown }).method : undefined;
      if (typeof method === "string" && SERVED_HERE.has(method)) return rpc.handle(body, { viaOnion: false });
      return owner.rpc(body);
    },
  };

  // Per worker: a client's connections are spread over the workers, so its effective rate is up
  // to N times RATE_LIMIT_PER_SECOND (README "Using every core").
  const buckets = new TokenBuckets({
    capacity: config.rateLimit.burst,
    refillPerSecond: config.rateLimit.perSecond,
  });
  const storageRpc = storageRpcFastPath({
    route: storageRpcRoute({ rpc: workerRpc, buckets, maxBodyBytes: config.maxBodyBytes }),
    metrics: metrics.registry,
    metricPrefix,
    logger,
  });
  // Onion requests are served here too: the layer is opened with the node's key, a final hop to
  // this node runs on the storage RPC above, a relay to the next node goes over this worker's own
  // node link to it (HTTP(S) to a node that takes none), one to a server goes out from here.
  const nodeAgent = new Agent(config.http ? {} : { connect: { rejectUnauthorized: false } });
  // Its own links rather than the owner's: handing each relay to the owner cost a request on its
  // socket and the owner's turn, 0.55–0.7× the throughput on the 3-hop bench line (README).
  const relayLinks = nodeLinks(dispatcherPost(nodeAgent), {
    maxReplyBytes: DEFAULT_ONION_LIMITS.maxReplyBytes,
  });
  const finalHopServers = serverPost(config.onionServers ?? DEFAULT_ONION_SERVER_POLICY);
  const onion = onionService(
    {
      keys,
      logger,
      metrics: metrics.registry,
      rpc: { handle: (body) => workerRpc.handle(body) },
      network: {
        nodeByEd25519: (hex) => membership.nodeByEd25519(hex),
        allNodes: () => membership.allNodes(),
      },
      fetch: ((input: string, init?: RequestInit) =>
        undiciFetch(input, { ...(init as object), dispatcher: nodeAgent })) as unknown as typeof fetch,
      nodePost: relayLinks.post,
    },
    {
      nodeScheme: config.http ? "http" : "https",
      ...(config.onionServers ? { servers: config.onionServers } : {}),
      serverPost: finalHopServers.post,
    },
  );
  const proxy = ownerProxy(s.socketPath, s.secret);
  const pid = String(process.pid);
  const tls = config.http ? undefined : await loadTlsCertificate(config.dataDir, config.publicIp);
  const options = {
    ...connectionServerOptions(config.connections),
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
  };
  const listener = (req: Parameters<typeof storageRpc>[0], res: Parameters<typeof storageRpc>[1]) => {
    res.setHeader(WORKER_HEADER, pid);
    if (!storageRpc(req, res) && !onion.fastPath(req, res)) {
      res.removeHeader(WORKER_HEADER);
      proxy.request(req, res);
    }
  };
  const server: HttpServer = tls ? createHttpsServer(options, listener) : createHttpServer(options, listener);
  // Node links from other nodes are taken here: their relays are opened in this worker, their
  // node-to-node requests (swarm forwards and the like) go on to the owner. Other upgrades too.
  const links = acceptNodeLinks(
    server,
    { relay: onion.relay, peer: (auth, body) => owner.peer(auth, body) },
    {
      maxBodyBytes: linkMaxBodyBytes(config.maxBodyBytes),
      logger,
      otherUpgrade: proxy.upgrade,
    },
  );
  const closer = guardNodeServer(server, config, tls !== undefined);
  // The server never listens: the owner hands it connections. node:http starts tracking its
  // connections (header and request timeouts, idle closes) on 'listening', so that is said here.
  server.emit("listening");

  let ready = false;
  let stopping = false;
  const stop = async (deadline = Date.now() + DEFAULT_GRACE_MS) => {
    if (stopping) return;
    stopping = true;
    // The links taken here answer what they hold and close (the peers relay elsewhere meanwhile);
    // upgraded sockets still open at the deadline are cut with the rest.
    const graceMs = Math.max(0, deadline - Date.now());
    await Promise.all([links.close(graceMs), closer.close({ graceMs, pollMs: 50 })]);
    proxy.close();
    relayLinks.close();
    await Promise.all([owner.close(), nodeAgent.close(), finalHopServers.close()]);
    writer.close();
    store.close();
    process.exit(0);
  };
  process.on("message", (m: OwnerMessage, handle?: Socket) => {
    if (m.type === "session-node:connection") {
      // A client's connection from the owner's port (cluster/connection-dispatch.ts). The owner
      // closes its copy once told, and counts the connection until it closes here.
      send({ type: "session-node:took", id: m.id });
      if (!handle) send({ type: "session-node:closed", id: m.id });
      else {
        handle.once("close", () => send({ type: "session-node:closed", id: m.id }));
        if (stopping) handle.destroy();
        else server.emit("connection", handle);
      }
    } else if (m.type === "session-node:nodes") {
      membership.update(m.nodes);
      // Ready once the registry is known: before that every request would be refused.
      if (!ready) {
        ready = true;
        send({ type: "session-node:ready" });
      }
    } else if (m.type === "session-node:metrics") {
      void metrics.registry
        .getMetricsAsJSON()
        .then((json) => send({ type: "session-node:metrics", id: m.id, metrics: json }));
    } else if (m.type === "session-node:shutdown") void stop(m.deadline);
  });
  // The owner stops the workers (SIGINT from a terminal reaches the whole process group: the
  // owner's word is awaited instead); a worker whose owner is gone stops too.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => void stop());
  process.on("disconnect", () => void stop());
  send({ type: "session-node:hello" });
}
