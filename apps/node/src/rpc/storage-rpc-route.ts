import { getConnInfo } from "@hono/node-server/conninfo";
import { ProtocolError } from "@session/protocol";
import { StorageHttpEndpoint } from "@session/protocol/rpc";
import type { TokenBuckets } from "@session/service-kit";
import type { Context } from "hono";
import { ERROR_CODE_HEADER } from "../onion/reply.ts";
import type { RpcResult } from "./handler.ts";

/*
 * `POST /storage_rpc/v1`, defined once. Two transports carry it: the Hono app (app.request()
 * callers, and anything the node:http listener passes on) and the node:http fast path
 * (http-fast-path.ts), which skips building WHATWG Request/Response objects. Both hand the
 * request to `serve` through a StorageRpcTransport and send what it answers with
 * storageRpcWireReply. Behaviour is oxenss's (server/https.cpp): per-address rate limit (429
 * "Too Many Requests\n"), 410 for the retired long-poll header, body limit (413 "Request body too
 * large"), 400 "invalid json", then the RPC reply (JSON, or oxenss's plain-text error with our
 * code in a header).
 */

/** How one transport exposes a request to the route. Plain functions: no per-request objects. */
export interface StorageRpcTransport<R> {
  remoteAddress(req: R): string;
  /** A request header by lower-case name. */
  header(req: R, name: string): string | undefined;
  /** The body; rejects with ProtocolError PAYLOAD_TOO_LARGE once it passes `maxBytes`. */
  body(req: R, maxBytes: number): Promise<Uint8Array>;
}

export interface StorageRpcRouteDeps {
  rpc: { handle(body: unknown, opts: { viaOnion: boolean }): Promise<RpcResult> };
  /** The per-address rate limiter (shared with the node's other rate-limited routes). */
  buckets: TokenBuckets;
  maxBodyBytes: number;
}

export interface StorageRpcRoute {
  readonly method: "POST";
  readonly path: string;
  /** The route's answer to one request, whichever transport carried it. */
  serve<R>(transport: StorageRpcTransport<R>, req: R): Promise<RpcResult>;
}

/** oxenss refuses requests carrying a (non-empty) `X-Loki-Long-Poll` header with 410. */
export const LONG_POLL_HEADER = "x-loki-long-poll";

/** The HTTP-level refusals, with oxenss's texts (https.cpp error_response and handle_request). */
export const storageHttpRefusal = {
  rateLimited: (): RpcResult => ({ status: 429, body: "Too Many Requests\n", code: "RATE_LIMITED" }),
  tooLarge: (): RpcResult => ({ status: 413, body: "Request body too large", code: "PAYLOAD_TOO_LARGE" }),
  invalidJson: (): RpcResult => ({ status: 400, body: "invalid json", code: "INVALID_JSON" }),
  failed: (): RpcResult => ({ status: 500, body: "request failed", code: "INTERNAL" }),
  /** Clients still sending the retired long-poll header are told to upgrade. */
  longPoll: (): RpcResult => ({
    status: 410,
    body: "long polling is no longer supported, client upgrade required",
    code: "BAD_REQUEST",
  }),
};

export function storageRpcRoute(d: StorageRpcRouteDeps): StorageRpcRoute {
  return {
    method: "POST",
    path: StorageHttpEndpoint.storageRpc,
    async serve(t, req) {
      if (!d.buckets.take(t.remoteAddress(req))) return storageHttpRefusal.rateLimited();
      if (t.header(req, LONG_POLL_HEADER)) return storageHttpRefusal.longPoll();
      const declared = t.header(req, "content-length");
      if (declared && Number(declared) > d.maxBodyBytes) return storageHttpRefusal.tooLarge();
      let bytes: Uint8Array;
      try {
        bytes = await t.body(req, d.maxBodyBytes);
      } catch (err) {
        if (err instanceof ProtocolError && err.code === "PAYLOAD_TOO_LARGE")
          return storageHttpRefusal.tooLarge();
        throw err;
      }
      let body: unknown;
      try {
        body = parseJsonBody(bytes);
      } catch {
        return storageHttpRefusal.invalidJson();
      }
      return d.rpc.handle(body, { viaOnion: false });
    },
  };
}

/** JSON of a UTF-8 body, read in place; a leading byte-order mark is dropped (as TextDecoder does). */
export function parseJsonBody(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

/** A storage RPC answer on the wire: JSON, or a failure as oxenss's text/plain body. */
export interface StorageRpcWireReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function storageRpcWireReply(r: RpcResult): StorageRpcWireReply {
  if (typeof r.body === "string") {
    const headers: Record<string, string> = { "content-type": "text/plain" };
    if (r.code) headers[ERROR_CODE_HEADER] = r.code;
    return { status: r.status, headers, body: r.body };
  }
  const headers: Record<string, string> = { "content-type": "application/json" };
  // A failure with a JSON body (a store that did not commit: STORAGE_FULL) names its code too.
  if (r.code) headers[ERROR_CODE_HEADER] = r.code;
  return { status: r.status, headers, body: JSON.stringify(r.body) };
}

/** The remote address of a Hono request on @hono/node-server ("unknown" under app.request()). */
export function honoRemoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

const honoTransport: StorageRpcTransport<Context> = {
  remoteAddress: honoRemoteAddress,
  header: (c, name) => c.req.header(name),
  async body(c, maxBytes) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > maxBytes)
      throw new ProtocolError("PAYLOAD_TOO_LARGE", `request body exceeds ${maxBytes} bytes`);
    return bytes;
  },
};

/** The route as a Hono handler (`app.post(route.path, honoStorageRpc(route))`). */
export function honoStorageRpc(route: StorageRpcRoute): (c: Context) => Promise<Response> {
  return async (c) => {
    const w = storageRpcWireReply(await route.serve(honoTransport, c));
    return c.body(w.body, w.status as 200, w.headers);
  };
}
