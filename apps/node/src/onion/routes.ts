import { toHex } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import { readBodyLimited } from "@session/service-kit";
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { CryptoThread } from "../crypto-thread.ts";
import { endAtTurnEnd, type FastPath, readIncomingLimited } from "../rpc/http-fast-path.ts";
import { type HopCipher, nodeHopCipher } from "./hop-cipher.ts";
import type { NodePost } from "./http.ts";
import {
  ONION_RELAY_PATH,
  ONION_REQUEST_PATH,
  ONION_V4_PATH,
  type OnionLimits,
  onionLimits,
} from "./limits.ts";
import { onionMetrics } from "./metrics.ts";
import type { RelayHandler } from "./node-link.ts";
import {
  type OnionDeps,
  type OnionHopInput,
  parseClientOnionBody,
  parseRelayedOnionBody,
  processOnionHop,
} from "./process.ts";
import { ERROR_CODE_HEADER, type OnionReply, plainReply } from "./reply.ts";
import { DEFAULT_ONION_SERVER_POLICY, type OnionServerPolicy, serverPost } from "./server-destination.ts";

/** A registered node as the network view returns it (oxend get_service_nodes field names). */
interface NodeAddress {
  pubkey_ed25519: string;
  public_ip: string;
  storage_port: number;
}

/** The parts of NodeContext onion routing uses. */
export interface OnionRouteContext {
  keys: {
    ed25519: { publicKey: Uint8Array };
    x25519: { publicKey: Uint8Array; secretKey: Uint8Array };
  };
  logger: Logger;
  metrics: Registry;
  rpc: { handle(body: unknown, opts: { viaOnion: boolean }): Promise<{ status: number; body: unknown }> };
  network: { nodeByEd25519(hex: string): NodeAddress | undefined; allNodes(): readonly unknown[] };
  fetch: typeof fetch;
  /** Node-to-node relay POST (preferred over `fetch` when given). */
  nodePost?: NodePost;
  /** Runs busy turns' layer X25519 off the event loop (src/crypto-thread.ts). */
  cryptoThread?: CryptoThread;
}

export interface OnionRouteOptions {
  limits?: Partial<OnionLimits>;
  /** Scheme nodes serve on (default https: nodes use self-signed certificates). */
  nodeScheme?: "http" | "https";
  /** Which HTTP(S) servers final hops may reach; default public addresses on ports 443 and 80. */
  servers?: OnionServerPolicy;
  /** POST for HTTP(S) destinations; default `serverPost(servers)` (checked addresses, certificates verified). */
  serverPost?: NodePost;
  /** Override hop encryption (tests, benchmarks); default the node's X25519 keys. */
  cipher?: HopCipher;
}

/**
 * Onion request endpoints of a storage node:
 * - `POST /onion_req/v2` (what Session clients call on their first hop) and `POST /oxen/v4/lsrpc`
 *   (same handler): body `[u32 LE N][ciphertext]{"ephemeral_key","enc_type","hop_no"?}`;
 * - `POST /sn/onion_request`: node-to-node relay, the bencoded dict oxenss sends over OxenMQ.
 */
export function onionRoutes(ctx: OnionRouteContext, options: OnionRouteOptions = {}): Hono {
  return onionService(ctx, options).routes;
}

/**
 * The onion endpoints twice over: as Hono routes, and as a node:http fast path the node's request
 * listener tries first (same handling, same metrics and in-flight limit; it skips building WHATWG
 * Request/Response objects and body streams, which cost more than the hop's X25519).
 */
export function onionService(
  ctx: OnionRouteContext,
  options: OnionRouteOptions = {},
): { routes: Hono; fastPath: FastPath; relay: RelayHandler } {
  const limits = onionLimits(options.limits);
  const scheme = options.nodeScheme ?? "https";
  const selfEd25519Hex = toHex(ctx.keys.ed25519.publicKey);
  const metrics = onionMetrics(ctx.metrics);
  const logger = ctx.logger.child({ component: "onion" });
  const servers = options.servers ?? DEFAULT_ONION_SERVER_POLICY;
  const deps: OnionDeps = {
    cipher: options.cipher ?? nodeHopCipher(ctx.keys.x25519),
    // The thread computes with the node's key: not for an overriding cipher, whose key may differ.
    ...(ctx.cryptoThread && !options.cipher
      ? { openThread: { thread: ctx.cryptoThread, x25519SecretKey: ctx.keys.x25519.secretKey } }
      : {}),
    selfEd25519Hex,
    nodeBaseUrl(hex) {
      const n = ctx.network.nodeByEd25519(hex);
      return n ? `${scheme}://${n.public_ip}:${n.storage_port}` : undefined;
    },
    nodeFetch: ctx.fetch,
    ...(ctx.nodePost ? { nodePost: ctx.nodePost } : {}),
    servers,
    serverPost: options.serverPost ?? serverPost(servers).post,
    storageRpc: (body) => ctx.rpc.handle(body, { viaOnion: true }),
    isReady: () => ctx.network.allNodes().length > 0,
    limits,
    logger,
  };

  const finish = (reply: OnionReply, started: number): Record<string, string> => {
    metrics.observe(reply, (performance.now() - started) / 1000);
    if (reply.code) logger.debug({ code: reply.code, status: reply.status }, "onion request refused");
    const headers: Record<string, string> = { "content-type": reply.contentType };
    if (reply.code && reply.outcome === "rejected") headers[ERROR_CODE_HEADER] = reply.code;
    return headers;
  };
  const respond = (reply: OnionReply, started: number): Response => {
    const headers = finish(reply, started);
    const body = typeof reply.body === "string" ? reply.body : (reply.body as Uint8Array<ArrayBuffer>);
    return new Response(body, { status: reply.status, headers });
  };

  /** Reads, parses and processes one request body; never throws. */
  const runHop = async (
    read: () => Promise<Uint8Array>,
    parse: (body: Uint8Array) => OnionHopInput | OnionReply,
  ): Promise<OnionReply> => {
    try {
      const input = parse(await read());
      return "ciphertext" in input ? await processOnionHop(deps, input) : input;
    } catch (err) {
      // Bodies are refused as oversize before anything else is done with them.
      if (err instanceof ProtocolError && err.code === "PAYLOAD_TOO_LARGE") {
        return plainReply(413, "PAYLOAD_TOO_LARGE", "onion request data too big");
      }
      logger.warn({ err }, "onion request failed unexpectedly");
      return plainReply(500, "INTERNAL", "internal error");
    }
  };
  const busy = () => plainReply(503, "SERVICE_UNAVAILABLE", "Snode busy: too many onion requests in flight");

  let inFlight = 0;
  /** runHop within the in-flight cap: over it, the busy reply, without reading the body. */
  const admitHop = async (
    read: () => Promise<Uint8Array>,
    parse: (body: Uint8Array) => OnionHopInput | OnionReply,
  ): Promise<OnionReply> => {
    if (inFlight >= limits.maxInFlight) return busy();
    inFlight++;
    try {
      return await runHop(read, parse);
    } finally {
      inFlight--;
    }
  };
  const app = new Hono();
  const handle =
    (parse: (body: Uint8Array) => OnionHopInput | OnionReply) =>
    async (c: Context): Promise<Response> => {
      const started = performance.now();
      let read = false;
      const reply = await admitHop(() => {
        read = true;
        return readBodyLimited(c.req.raw, limits.maxBodyBytes, "onion request data too big");
      }, parse);
      if (!read) await c.req.raw.body?.cancel().catch(() => {});
      return respond(reply, started);
    };

  const parseClient = (b: Uint8Array) => parseClientOnionBody(b, deps);
  const parseRelayed = (b: Uint8Array) => parseRelayedOnionBody(b);
  app.post(ONION_REQUEST_PATH, handle(parseClient));
  app.post(ONION_V4_PATH, handle(parseClient));
  app.post(ONION_RELAY_PATH, handle(parseRelayed));

  const parsers = new Map([
    [ONION_REQUEST_PATH, parseClient],
    [ONION_V4_PATH, parseClient],
    [ONION_RELAY_PATH, parseRelayed],
  ]);
  const fastPath: FastPath = (req, res) => {
    const parse = req.method === "POST" ? parsers.get(req.url ?? "") : undefined;
    if (!parse) return false;
    const started = performance.now();
    const send = (reply: OnionReply) => {
      const headers = finish(reply, started);
      const body = typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
      headers["content-length"] = String(body.byteLength);
      res.writeHead(reply.status, headers);
      // With the turn's other replies, as the storage RPC's (http-fast-path.ts says why).
      endAtTurnEnd(res, body);
    };
    admitHop(() => readIncomingLimited(req, limits.maxBodyBytes), parse).then(send, (err: unknown) => {
      logger.warn({ err }, "onion request failed unexpectedly");
      if (!res.headersSent) send(plainReply(500, "INTERNAL", "internal error"));
    });
    return true;
  };
  /** A relay arriving on a node link: the `/sn/onion_request` handling, limits and metrics. */
  const relay: RelayHandler = async (body) => {
    const started = performance.now();
    const reply = await admitHop(() => Promise.resolve(body), parseRelayed);
    finish(reply, started);
    return reply;
  };
  return { routes: app, fastPath, relay };
}
