import type { IncomingMessage, ServerResponse } from "node:http";
import { ProtocolError } from "@session/protocol";
import { StorageHttpEndpoint } from "@session/protocol/rpc";
import type { TokenBuckets } from "@session/service-kit";
import type { Logger } from "pino";
import type { Counter, Histogram, Registry } from "prom-client";
import { ERROR_CODE_HEADER } from "../onion/reply.ts";
import type { RpcResult } from "./handler.ts";

/*
 * `POST /storage_rpc/v1` served straight on node:http, ahead of Hono. The Hono route does the same
 * thing (it stays for app.request() callers); this path skips building a WHATWG Request, its body
 * stream and AbortSignal, and the Response object, which cost about as much per request as the
 * signature check. Behaviour is the Hono route's and oxenss's (server/https.cpp): per-address rate
 * limit (429 "Too Many Requests\n"), body limit (413 "Request body too large"), 400 "invalid
 * json", the RPC reply (JSON, or oxenss's plain-text error with our code in a header), and the
 * same http_requests_total / http_request_duration_seconds samples as the metrics middleware.
 */

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

/** oxenss refuses requests carrying a (non-empty) `X-Loki-Long-Poll` header with 410. */
export const LONG_POLL_HEADER = "x-loki-long-poll";

export interface StorageRpcFastPathDeps {
  rpc: { handle(body: unknown, opts: { viaOnion: boolean }): Promise<RpcResult> };
  buckets: TokenBuckets;
  maxBodyBytes: number;
  /** The registry the service-kit metrics middleware records into. */
  metrics: Registry;
  metricPrefix: string;
  logger: Logger;
}

/** A request listener step: true when it answered the request, false to pass it on. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const ROUTE = StorageHttpEndpoint.storageRpc;

export function storageRpcFastPath(d: StorageRpcFastPathDeps): FastPath {
  const requests = d.metrics.getSingleMetric(`${d.metricPrefix}http_requests_total`) as
    | Counter<"method" | "route" | "status">
    | undefined;
  const duration = d.metrics.getSingleMetric(`${d.metricPrefix}http_request_duration_seconds`) as
    | Histogram<"method" | "route" | "status">
    | undefined;

  const send = (res: ServerResponse, r: RpcResult, started: number) => {
    const wire = storageRpcWireReply(r);
    res.writeHead(wire.status, { ...wire.headers, "content-length": Buffer.byteLength(wire.body) });
    endAtTurnEnd(res, wire.body);
    const labels = { method: "POST", route: ROUTE, status: String(wire.status) };
    requests?.inc(labels);
    duration?.observe(labels, (performance.now() - started) / 1000);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, started: number) => {
    let raw: Buffer;
    try {
      raw = await readIncomingLimited(req, d.maxBodyBytes);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === "PAYLOAD_TOO_LARGE")
        return send(res, storageHttpRefusal.tooLarge(), started);
      throw err;
    }
    let body: unknown;
    try {
      const text = raw.toString("utf8");
      // TextDecoder (what Hono's c.req.json() uses) drops a leading byte-order mark.
      body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      return send(res, storageHttpRefusal.invalidJson(), started);
    }
    send(res, await d.rpc.handle(body, { viaOnion: false }), started);
  };

  return (req, res) => {
    if (req.method !== "POST" || req.url !== ROUTE) return false;
    const started = performance.now();
    if (!d.buckets.take(req.socket.remoteAddress ?? "unknown")) {
      send(res, storageHttpRefusal.rateLimited(), started);
      req.resume();
      return true;
    }
    if (req.headers[LONG_POLL_HEADER]) {
      send(res, storageHttpRefusal.longPoll(), started);
      req.resume();
      return true;
    }
    handle(req, res, started).catch((err: unknown) => {
      d.logger.error({ err, route: ROUTE }, "request failed");
      if (!res.headersSent) send(res, storageHttpRefusal.failed(), started);
      else res.destroy();
    });
    return true;
  };
}

const pendingEnds: { res: ServerResponse; body: string | Uint8Array }[] = [];

function flushEnds(): void {
  for (const { res, body } of pendingEnds.splice(0)) {
    try {
      res.end(body);
    } catch {
      res.destroy(); // one broken reply must not hold back the others
    }
  }
}

/**
 * Sends a reply (head already set with writeHead) at the end of this event-loop turn, together
 * with the other replies of the turn: the writes then reach clients in bursts, and each client is
 * woken once per burst rather than once per reply. On this 2-core VM that cut a retrieve's CPU by
 * ~20% (`pnpm bench`); the delay is within the same turn.
 */
export function endAtTurnEnd(res: ServerResponse, body: string | Uint8Array): void {
  pendingEnds.push({ res, body });
  if (pendingEnds.length === 1) setImmediate(flushEnds);
}

/**
 * Reads a node:http request body; throws ProtocolError PAYLOAD_TOO_LARGE for a declared
 * Content-Length over `maxBytes` (before reading) or as soon as the streamed body passes it. Reading
 * stops there; node:http discards the rest once the response is sent, keeping the connection usable.
 */
export function readIncomingLimited(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && declared !== "" && Number(declared) > maxBytes) {
    return Promise.reject(new ProtocolError("PAYLOAD_TOO_LARGE", `request body exceeds ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        reject(new ProtocolError("PAYLOAD_TOO_LARGE", `request body exceeds ${maxBytes} bytes`));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
