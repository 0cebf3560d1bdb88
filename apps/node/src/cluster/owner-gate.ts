import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Counter } from "prom-client";
import type { NodeContext } from "../deps.ts";
import { isTimeout } from "../onion/http.ts";
import { DEFAULT_ONION_LIMITS, ONION_RELAY_PATH } from "../onion/limits.ts";
import type { RpcResult } from "../rpc/handler.ts";
import { readIncomingLimited } from "../rpc/http-fast-path.ts";
import {
  type FanOutWire,
  INTERNAL_HEADER,
  OWNER_PATHS,
  PROXIED_HEADER,
  RELAY_STATUS_HEADER,
  RELAY_TIMEOUT_HEADER,
  RELAY_URL_HEADER,
  REMOTE_HEADER,
} from "./protocol.ts";

/**
 * The owner's side of its Unix socket (src/cluster/): only the cluster's workers hold the secret.
 * A worker's own request (INTERNAL_HEADER) is answered here: stores it committed, to send on to
 * the swarm peers, or a storage RPC the worker does not serve. A client's request a worker passes on (PROXIED_HEADER)
 * goes on to the node's usual listener, as if from the client's address (REMOTE_HEADER): the
 * owner's rate limits, monitor stream caps and logs then see the client, not the worker.
 * Anything else is refused (403).
 */
export function ownerGate(ctx: NodeContext, server: Server, secret: string) {
  const key = Buffer.from(secret);
  const holdsSecret = (v: string | string[] | undefined) => {
    if (typeof v !== "string") return false;
    const b = Buffer.from(v);
    return b.length === key.length && timingSafeEqual(b, key);
  };
  // The client's address stands in for the socket's (none on a Unix socket) for this request:
  // node:http, Hono's getConnInfo and the connection helpers all read `socket.remoteAddress`.
  // A worker's connection carries one request at a time, so the value is this request's.
  const actAsClient = (req: IncomingMessage) => {
    const remote = req.headers[REMOTE_HEADER];
    Object.defineProperty(req.socket, "remoteAddress", {
      value: typeof remote === "string" ? remote : undefined,
      configurable: true,
    });
  };
  // Node links (upgrades) arrive proxied too; refused ones never reach acceptNodeLinks.
  server.prependListener("upgrade", (req: IncomingMessage, socket: Socket) => {
    if (holdsSecret(req.headers[PROXIED_HEADER])) return actAsClient(req);
    socket.destroy();
  });
  const answer = (res: ServerResponse, r: RpcResult | Record<string, unknown>[]) => {
    const body = JSON.stringify(r);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
  const internal = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === OWNER_PATHS.relay) return relay(req, res);
    // Not limited: only the workers, which hold client requests to the body limit, send these.
    const bytes = await readIncomingLimited(req, Number.MAX_SAFE_INTEGER);
    const body = JSON.parse(bytes.toString("utf8")) as unknown;
    // A worker's committed stores of one turn, sent on to the swarm peers (redelivery is here).
    if (req.url === OWNER_PATHS.fanOut) {
      const stores = (body as FanOutWire[]).map((w) => ctx.rpc.fanOutCommitted(w.request, w.hash));
      return answer(res, await Promise.all(stores));
    }
    if (req.url === OWNER_PATHS.rpc) return answer(res, await ctx.rpc.handle(body, { viaOnion: false }));
    res.writeHead(404).end();
  };

  const relays = new Counter({
    name: "session_node_worker_relays_total",
    help: "Onion relays the cluster owner sent on to the next node for its workers, by result (ok, timeout, failed, refused)",
    labelNames: ["result"] as const,
    registers: [ctx.metrics],
  });
  const scheme = ctx.config.http ? "http" : "https";
  /** Whether `url` is a registered node's relay endpoint: the only place a worker's relay may go. */
  const isNodeRelayUrl = (url: string) =>
    url.endsWith(ONION_RELAY_PATH) &&
    ctx.network
      .allNodes()
      .some((n) => url === `${scheme}://${n.public_ip}:${n.storage_port}${ONION_RELAY_PATH}`);
  /**
   * A worker's onion relay, sent on over this process's node link to the next node (HTTP(S) to a
   * node without one): relays from every worker share the one link per peer, where each worker
   * would otherwise hold TLS connections of its own to every peer, one request per connection.
   */
  const relay = async (req: IncomingMessage, res: ServerResponse) => {
    const url = String(req.headers[RELAY_URL_HEADER] ?? "");
    const timeoutMs = Number(req.headers[RELAY_TIMEOUT_HEADER]);
    const post = ctx.nodePost;
    if (!post || !isNodeRelayUrl(url) || !(timeoutMs > 0)) {
      relays.inc({ result: "refused" });
      res.writeHead(400).end();
      return;
    }
    const body = await readIncomingLimited(req, DEFAULT_ONION_LIMITS.maxReplyBytes);
    try {
      const reply = await post(url, body, { timeoutMs, maxReplyBytes: DEFAULT_ONION_LIMITS.maxReplyBytes });
      relays.inc({ result: "ok" });
      res.writeHead(200, {
        "content-type": reply.contentType,
        "content-length": reply.body.byteLength,
        [RELAY_STATUS_HEADER]: reply.status,
      });
      res.end(reply.body);
    } catch (err) {
      // 504: the next node did not answer in time; 502: it could not be reached.
      const timedOut = isTimeout(err);
      relays.inc({ result: timedOut ? "timeout" : "failed" });
      res.writeHead(timedOut ? 504 : 502).end();
    }
  };

  /** True when it answered the request (a worker's own, or a refusal); false to serve it as usual. */
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (holdsSecret(req.headers[INTERNAL_HEADER])) {
      internal(req, res).catch((err: unknown) => {
        ctx.logger.error({ err: String(err) }, "worker request failed");
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
      return true;
    }
    if (holdsSecret(req.headers[PROXIED_HEADER])) {
      actAsClient(req);
      return false;
    }
    res.writeHead(403).end();
    return true;
  };
}
