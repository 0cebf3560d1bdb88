import { createHash } from "node:crypto";
import {
  createMetrics,
  errorResponse,
  limitBody,
  notFoundHandler,
  onErrorHandler,
  requestLogger,
  type ServiceMetrics,
} from "@session/service-kit";
import { Hono } from "hono";
import type { Logger } from "pino";
import type { EventStore } from "./db/store.ts";
import type { Follower } from "./domain/follower.ts";
import { openApiDocument } from "./openapi.ts";

export interface AppDeps {
  follower: Follower;
  /** Serves /v1/events (the stored event log); the other routes answer from memory. */
  store?: EventStore;
  logger: Logger;
  /** Unix seconds; decides whether a name has expired (default: chain time, see Follower.chainTime). */
  now?: () => number;
  /** Metrics registry to serve (the indexer adds its own counters to it). */
  metrics?: ServiceMetrics;
}

/** Largest request body any route reads (none needs one). */
const MAX_BODY_BYTES = 16 * 1024;

const NAME_HASH = /^0x[0-9a-f]{64}$/;
const EVENT_POSITION = /^(\d{1,15})-(\d{1,9})$/;
const MAX_EVENTS_PAGE = 1000;

/** Read API over the indexed state. Responses carry an ETag of their content (304 on match). */
export function createApp(deps: AppDeps) {
  const { follower, logger } = deps;
  // Names expire by chain time: the last indexed block's, or the wall clock while that is behind.
  const now = deps.now ?? (() => Math.max(Math.floor(Date.now() / 1000), follower.chainTime));
  const metrics = deps.metrics ?? createMetrics({ prefix: "sns_indexer_" });
  const app = new Hono();
  app.use(requestLogger(logger));
  app.use(metrics.middleware);
  // A read-only API: no route takes a body, so none is read past a few kilobytes.
  app.use(limitBody(MAX_BODY_BYTES, { mode: "stream" }));
  app.onError(onErrorHandler(logger));
  app.notFound(notFoundHandler);

  // Serialised /v1/nodes body and its ETag, rebuilt only when the state changes.
  let nodesCache: { version: number; body: string; etag: string } | undefined;
  const etagOf = (body: string) => `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;

  const sendJson = (c: import("hono").Context, body: string, etag: string, maxAge = 5) => {
    c.header("ETag", etag);
    c.header("Cache-Control", `public, max-age=${maxAge}`);
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    return c.body(body, 200, { "content-type": "application/json" });
  };

  app.get("/v1/nodes", (c) => {
    const state = follower.state;
    if (!nodesCache || nodesCache.version !== state.version) {
      // chain_id and registry let nodes re-check each entry's key proof (operator, signature).
      const body = JSON.stringify({
        height: follower.indexedTo,
        chain_id: follower.chainId?.toString() ?? null,
        registry: follower.registryAddress,
        nodes: state.activeNodeInfos(),
      });
      nodesCache = { version: state.version, body, etag: etagOf(body) };
    }
    return sendJson(c, nodesCache.body, nodesCache.etag);
  });

  app.get("/v1/nodes/:id", (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isSafeInteger(id) || id < 1)
      return errorResponse(c, "BAD_REQUEST", "node id must be a positive integer");
    const node = follower.state.nodes.get(id);
    if (!node) return errorResponse(c, "NOT_FOUND", "no such node");
    const swarm =
      follower.state.activeNodeInfos().find((n) => n.pubkey_ed25519 === node.ed25519)?.swarm_id ?? null;
    const body = JSON.stringify({ ...node, swarm_id: swarm });
    return sendJson(c, body, etagOf(body));
  });

  app.get("/v1/names/:nameHash", (c) => {
    const hash = c.req.param("nameHash").toLowerCase();
    if (!NAME_HASH.test(hash)) return errorResponse(c, "BAD_REQUEST", "name hash must be 0x + 64 hex digits");
    const name = follower.state.names.get(hash);
    if (!name || name.expiry < now()) return errorResponse(c, "NOT_FOUND", "name not registered");
    const body = JSON.stringify(name);
    return sendJson(c, body, etagOf(body), 30);
  });

  app.get("/v1/stats", (c) => {
    const s = follower.state;
    let active = 0;
    let staked = 0n;
    for (const n of s.nodes.values()) {
      if (n.status === "active") active++;
      if (n.status === "active" || n.status === "awaiting" || n.status === "exiting")
        staked += BigInt(n.totalStaked);
    }
    return c.json({
      indexedTo: follower.indexedTo,
      head: follower.head,
      events: s.eventCount,
      nodes: { total: s.nodes.size, active },
      totalStaked: staked.toString(),
      names: s.names.size,
    });
  });

  // The stored event log in chain order, a page at a time: `after` is the `next` of the previous page.
  app.get("/v1/events", async (c) => {
    const store = deps.store;
    if (!store) return errorResponse(c, "NOT_FOUND", "no event log here");
    const afterParam = c.req.query("after");
    const limitParam = c.req.query("limit") ?? "100";
    const pos = afterParam === undefined ? null : EVENT_POSITION.exec(afterParam);
    if (afterParam !== undefined && !pos)
      return errorResponse(c, "BAD_REQUEST", "after must be <block>-<logIndex> (the previous page's next)");
    const limit = /^\d{1,4}$/.test(limitParam) ? Number(limitParam) : 0;
    if (limit < 1 || limit > MAX_EVENTS_PAGE)
      return errorResponse(c, "BAD_REQUEST", `limit must be 1 to ${MAX_EVENTS_PAGE}`);
    let page: Awaited<ReturnType<EventStore["eventsAfter"]>>;
    try {
      page = await store.eventsAfter(
        pos ? { blockNumber: Number(pos[1]), logIndex: Number(pos[2]) } : null,
        limit,
      );
    } catch (err) {
      follower.conditions.dbFailed(err);
      return errorResponse(c, "SERVICE_UNAVAILABLE", "database unavailable; try again later");
    }
    const last = page[page.length - 1];
    const body = JSON.stringify({
      events: page.map((e) => ({ ...e, args: JSON.parse(e.args) as unknown })),
      next: page.length === limit && last ? `${last.blockNumber}-${last.logIndex}` : null,
    });
    // A full page never changes (blocks are final unless a reorg); a partial one grows.
    return sendJson(c, body, etagOf(body), page.length === limit ? 60 : 5);
  });

  app.get("/openapi.json", (c) => c.json(openApiDocument));
  // 200 while the API serves (reads come from memory); `status` says whether indexing is held up.
  app.get("/health", (c) => {
    const k = follower.conditions;
    const ok = k.chainRpc.ok && k.database.ok && !k.diskFull.active;
    return c.json({
      ok,
      status: ok ? "ok" : "degraded",
      indexedTo: follower.indexedTo,
      head: follower.head,
      lagBlocks: follower.lagBlocks,
      conditions: {
        chain_rpc: {
          ok: k.chainRpc.ok,
          lastSuccessAt:
            k.chainRpc.lastSuccessAt === null ? null : new Date(k.chainRpc.lastSuccessAt).toISOString(),
          consecutiveFailures: k.chainRpc.consecutiveFailures,
          lastError: k.chainRpc.lastError,
        },
        database: { ok: k.database.ok, lastError: k.database.lastError },
        disk_full: {
          active: k.diskFull.active,
          since: k.diskFull.since === null ? null : new Date(k.diskFull.since).toISOString(),
        },
      },
    });
  });
  app.get("/metrics", metrics.handler);
  return { app, metrics };
}
