import { toHex } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { type HopCipher, nodeHopCipher } from "./hop-cipher.ts";
import { readBodyLimited } from "./http.ts";
import {
  DEFAULT_ONION_LIMITS,
  ONION_RELAY_PATH,
  ONION_REQUEST_PATH,
  ONION_V4_PATH,
  type OnionLimits,
} from "./limits.ts";
import { onionMetrics } from "./metrics.ts";
import {
  type OnionDeps,
  type OnionHopInput,
  parseClientOnionBody,
  parseRelayedOnionBody,
  processOnionHop,
} from "./process.ts";
import { ERROR_CODE_HEADER, type OnionReply, plainReply } from "./reply.ts";

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
}

export interface OnionRouteOptions {
  limits?: Partial<OnionLimits>;
  /** Scheme nodes serve on (default https: nodes use self-signed certificates). */
  nodeScheme?: "http" | "https";
  /** Fetch for HTTP(S) destinations; default the global fetch (certificates verified). */
  serverFetch?: typeof fetch;
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
  const limits: OnionLimits = { ...DEFAULT_ONION_LIMITS, ...options.limits };
  const scheme = options.nodeScheme ?? "https";
  const selfEd25519Hex = toHex(ctx.keys.ed25519.publicKey);
  const metrics = onionMetrics(ctx.metrics);
  const logger = ctx.logger.child({ component: "onion" });
  const deps: OnionDeps = {
    cipher: options.cipher ?? nodeHopCipher(ctx.keys.x25519),
    selfEd25519Hex,
    nodeBaseUrl(hex) {
      const n = ctx.network.nodeByEd25519(hex);
      return n ? `${scheme}://${n.public_ip}:${n.storage_port}` : undefined;
    },
    nodeFetch: ctx.fetch,
    serverFetch: options.serverFetch ?? fetch,
    storageRpc: (body) => ctx.rpc.handle(body, { viaOnion: true }),
    isReady: () => ctx.network.allNodes().length > 0,
    limits,
    logger,
  };

  const respond = (reply: OnionReply, started: number): Response => {
    metrics.observe(reply, (performance.now() - started) / 1000);
    if (reply.code) logger.debug({ code: reply.code, status: reply.status }, "onion request refused");
    const headers: Record<string, string> = { "content-type": reply.contentType };
    if (reply.code && reply.outcome === "rejected") headers[ERROR_CODE_HEADER] = reply.code;
    const body = typeof reply.body === "string" ? reply.body : (reply.body as Uint8Array<ArrayBuffer>);
    return new Response(body, { status: reply.status, headers });
  };

  let inFlight = 0;
  const app = new Hono();
  const handle =
    (parse: (body: Uint8Array) => OnionHopInput | OnionReply) =>
    async (c: Context): Promise<Response> => {
      const started = performance.now();
      let reply: OnionReply;
      if (inFlight >= limits.maxInFlight) {
        await c.req.raw.body?.cancel().catch(() => {});
        return respond(
          plainReply(503, "SERVICE_UNAVAILABLE", "Snode busy: too many onion requests in flight"),
          started,
        );
      }
      inFlight++;
      try {
        const body = await readBodyLimited(
          c.req.raw.body,
          c.req.header("content-length"),
          limits.maxBodyBytes,
        );
        const input = parse(body);
        reply = "ciphertext" in input ? await processOnionHop(deps, input) : input;
      } catch (err) {
        // readBodyLimited refuses oversize bodies before anything else is done with them.
        if (err instanceof ProtocolError && err.code === "PAYLOAD_TOO_LARGE") {
          reply = plainReply(413, "PAYLOAD_TOO_LARGE", "onion request data too big");
        } else {
          logger.warn({ err }, "onion request failed unexpectedly");
          reply = plainReply(500, "INTERNAL", "internal error");
        }
      } finally {
        inFlight--;
      }
      return respond(reply, started);
    };

  const client = handle((b) => parseClientOnionBody(b, deps));
  app.post(ONION_REQUEST_PATH, client);
  app.post(ONION_V4_PATH, client);
  app.post(
    ONION_RELAY_PATH,
    handle((b) => parseRelayedOnionBody(b)),
  );
  return app;
}
