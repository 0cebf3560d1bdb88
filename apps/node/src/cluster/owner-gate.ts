import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { fromHex } from "@session/crypto";
import { LINK_PEER_AUTH_BYTES } from "@session/protocol/onion";
import type { NodeContext } from "../deps.ts";
import type { PeerHandler } from "../onion/node-link.ts";
import type { RpcResult } from "../rpc/handler.ts";
import { readIncomingLimited } from "../rpc/http-fast-path.ts";
import {
  type FanOutWire,
  INTERNAL_HEADER,
  OWNER_PATHS,
  PEER_HEADERS,
  PROXIED_HEADER,
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
export function ownerGate(ctx: NodeContext, server: Server, secret: string, peer: PeerHandler) {
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
    if (req.url === OWNER_PATHS.peer) return peerRequest(req, res);
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

  /**
   * A node-to-node request from a node link a worker took: answered as if it had come on a link
   * to this process (the sender's signature is checked there, against the registry).
   */
  const peerRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const header = (name: string) => String(req.headers[name] ?? "");
    // The worker's link reader held the frame to the same limit (node-server.ts).
    const body = await readIncomingLimited(req, ctx.config.maxBodyBytes + LINK_PEER_AUTH_BYTES);
    const reply = await peer(
      {
        pubkey: fromHex(header(PEER_HEADERS.pubkey)),
        timestamp: Number(header(PEER_HEADERS.timestamp)),
        signature: fromHex(header(PEER_HEADERS.signature)),
      },
      body,
    );
    res.writeHead(200, {
      "content-type": reply.contentType,
      "content-length": reply.body.byteLength,
      [PEER_HEADERS.status]: reply.status,
    });
    res.end(reply.body);
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
