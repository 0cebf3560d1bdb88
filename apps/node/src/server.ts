import { utf8Encode } from "@session/crypto";
import { ProtocolError, toErrorBody } from "@session/protocol";
import { answerServiceNodesJsonRpc, SEED_JSON_RPC_PATH } from "@session/protocol/swarm";
import {
  createMetrics,
  limitBody,
  notFoundHandler,
  onErrorHandler,
  rateLimit,
  TokenBuckets,
} from "@session/service-kit";
import { Hono } from "hono";
import type { NodeContext } from "./deps.ts";
import { createMonitorService, type MonitorService } from "./monitor/routes.ts";
import type { PeerHandler, RelayHandler } from "./onion/node-link.ts";
import { ERROR_CODE_HEADER } from "./onion/reply.ts";
import { onionService } from "./onion/routes.ts";
import { PEER_RPC_PATH, verifyPeerAuth, verifyPeerRequest } from "./replication/peer.ts";
import { peerRequestSchema } from "./replication/sync.ts";
import { type FastPath, storageRpcFastPath } from "./rpc/http-fast-path.ts";
import { honoStorageRpc, honoRemoteAddress as remote, storageRpcRoute } from "./rpc/storage-rpc-route.ts";

/** A seed request is a few hundred bytes; nothing bigger is worth reading. */
const SEED_MAX_BODY_BYTES = 64 * 1024;

export interface NodeApp {
  app: Hono;
  monitor: MonitorService;
  /**
   * Serves the hot `POST /storage_rpc/v1` and the onion endpoints on node:http directly (same
   * behaviour as the Hono routes, sharing their rate limiter, in-flight limit and metrics); the
   * node's request listener tries it before Hono.
   */
  fastPath: FastPath;
  /** Handle what arrives on node links (acceptNodeLinks): onion relays and peer requests. */
  linkHandlers: { relay: RelayHandler; peer: PeerHandler };
}

/**
 * The node's HTTP surface: storage RPC, onion requests, monitor, node-to-node RPC, health and
 * metrics. Rate limits are per remote address, kept in memory only (never logged).
 */
export function createApp(ctx: NodeContext): NodeApp {
  const { logger } = ctx;
  const metricPrefix = "session_node_";
  const metrics = createMetrics({ prefix: metricPrefix });
  // Serve the node's own registry too (onion/monitor/replication metrics register there).
  const app = new Hono();
  app.onError(onErrorHandler(logger));
  app.notFound(notFoundHandler);
  app.use(metrics.middleware);
  const buckets = new TokenBuckets({
    capacity: ctx.config.rateLimit.burst,
    refillPerSecond: ctx.config.rateLimit.perSecond,
  });
  // The storage RPC answers failures as oxenss does (plain text), so it does its own rate and
  // body limits rather than the JSON-answering service-kit middleware. One definition, served
  // here and by the node:http fast path.
  const storageRpc = storageRpcRoute({ rpc: ctx.rpc, buckets, maxBodyBytes: ctx.config.maxBodyBytes });
  app.post(storageRpc.path, honoStorageRpc(storageRpc));

  // Seed bootstrap: oxend's JSON-RPC get_n_service_nodes, answered from the registry, so every
  // node can be a seed (errors too are JSON-RPC answers with HTTP 200, as oxend sends them).
  app.post(SEED_JSON_RPC_PATH, rateLimit(buckets, remote), limitBody(SEED_MAX_BODY_BYTES), async (c) => {
    const answer = answerServiceNodesJsonRpc(await c.req.text(), () => ctx.rpc.serviceNodesState());
    return c.json(answer, 200);
  });

  /** A node-to-node RPC (POST /node_rpc/v1, or a node link's peer request). */
  const peerRpc = async (
    authenticate: () => void,
    bytes: Uint8Array,
  ): Promise<{ status: number; body: unknown }> => {
    try {
      authenticate();
      const parsed = peerRequestSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
      if (!parsed.success) throw new ProtocolError("BAD_REQUEST", "bad peer request");
      if (parsed.data.action === "forward") {
        const r = await ctx.rpc.handle(parsed.data.request, { forwarded: true });
        return { status: r.status, body: r.body };
      }
      return { status: 200, body: ctx.sync.handlePeer(parsed.data) };
    } catch (err) {
      const status = err instanceof ProtocolError ? err.status : 400;
      return {
        status,
        body: toErrorBody(err instanceof SyntaxError ? new ProtocolError("INVALID_JSON") : err),
      };
    }
  };
  app.post(PEER_RPC_PATH, limitBody(ctx.config.maxBodyBytes), async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const r = await peerRpc(
      () => verifyPeerRequest(c.req.raw.headers, bytes, ctx.membership, ctx.clock.now()),
      bytes,
    );
    return c.json(r.body as object, r.status as 200);
  });
  const peerLinkRequest: PeerHandler = async (auth, bytes) => {
    const r =
      bytes.length > ctx.config.maxBodyBytes
        ? { status: 413, body: toErrorBody(new ProtocolError("PAYLOAD_TOO_LARGE")) }
        : await peerRpc(() => verifyPeerAuth(auth, bytes, ctx.membership, ctx.clock.now()), bytes);
    return { status: r.status, contentType: "application/json", body: utf8Encode(JSON.stringify(r.body)) };
  };

  const onionCtx = {
    keys: ctx.keys,
    logger,
    metrics: metrics.registry,
    rpc: { handle: (body: unknown, o: { viaOnion: boolean }) => ctx.rpc.handle(body, o) },
    network: ctx.network,
    fetch: ctx.fetch,
    ...(ctx.nodePost ? { nodePost: ctx.nodePost } : {}),
    // Onion X25519 on the thread measured slower beside oxenss (README "Work on a crypto thread").
    ...(ctx.cryptoThread && ctx.config.onionThread ? { cryptoThread: ctx.cryptoThread } : {}),
  };
  const onion = onionService(onionCtx, {
    nodeScheme: ctx.config.http ? "http" : "https",
    ...(ctx.config.onionServers ? { servers: ctx.config.onionServers } : {}),
    ...(ctx.serverPost ? { serverPost: ctx.serverPost } : {}),
  });
  app.route("/", onion.routes);
  const monitor = createMonitorService(
    { clock: ctx.clock, logger, events: ctx.events },
    ctx.config.monitorStreamsPerAddress
      ? { limits: { maxStreamsPerSource: ctx.config.monitorStreamsPerAddress } }
      : {},
  );
  app.route("/", monitor.routes);

  app.get("/health", (c) => {
    const self = ctx.membership.self();
    const swarm = ctx.membership.mySwarm();
    const body = {
      ok: self !== undefined,
      pubkey_ed25519: ctx.network.self()?.pubkey_ed25519 ?? null,
      registered: self !== undefined,
      swarm: swarm ? swarm.id.toString(16).padStart(16, "0") : null,
      peers: ctx.membership.peers().length,
      messages: ctx.store.count(ctx.clock.now()),
      // "disk_full": stores are refused (STORAGE_FULL) until space returns; reads still answer.
      conditions: ctx.faults?.conditions() ?? [],
      // Several processes serve this node (src/cluster/): how many, and which.
      ...(ctx.cluster ? { workers: ctx.cluster.workers() } : {}),
    };
    return c.json(body, self ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    const own = await ctx.metrics.metrics();
    // A cluster's workers count their own requests: summed with the owner's here.
    const http = ctx.cluster
      ? await ctx.cluster.httpMetrics(metrics.registry)
      : await metrics.registry.metrics();
    return c.body(`${own}\n${http}`, 200, { "content-type": metrics.registry.contentType });
  });
  // oxenss's fallback (https.cpp): 404 "<METHOD> <path> Not Found" as plain text.
  app.all("*", (c) =>
    c.text(`${c.req.method} ${new URL(c.req.url).pathname} Not Found`, 404, {
      [ERROR_CODE_HEADER]: "NOT_FOUND",
    }),
  );
  const storageRpcFast = storageRpcFastPath({
    route: storageRpc,
    metrics: metrics.registry,
    metricPrefix,
    logger,
  });
  const fastPath: FastPath = (req, res) => storageRpcFast(req, res) || onion.fastPath(req, res);
  return { app, monitor, fastPath, linkHandlers: { relay: onion.relay, peer: peerLinkRequest } };
}
