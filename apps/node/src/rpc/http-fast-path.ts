import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type ErrorCode,
  errorTable,
  ProtocolError,
  StorageHttpEndpoint,
  toErrorBody,
} from "@session/protocol";
import { errorBody, type TokenBuckets } from "@session/service-kit";
import type { Logger } from "pino";
import type { Counter, Histogram, Registry } from "prom-client";
import type { RpcResult } from "./handler.ts";

/*
 * `POST /storage_rpc/v1` served straight on node:http, ahead of Hono. The Hono route does the same
 * thing (it stays for app.request() callers); this path skips building a WHATWG Request, its body
 * stream and AbortSignal, and the Response object, which cost about as much per request as the
 * signature check. Behaviour is the Hono route's: per-address rate limit (429 RATE_LIMITED), body
 * limit (413 PAYLOAD_TOO_LARGE), 400 INVALID_JSON, the RPC reply as application/json, and the same
 * http_requests_total / http_request_duration_seconds samples as the metrics middleware.
 */

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

  const send = (res: ServerResponse, status: number, body: unknown, started: number) => {
    const json = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(json),
    });
    endAtTurnEnd(res, json);
    const labels = { method: "POST", route: ROUTE, status: String(status) };
    requests?.inc(labels);
    duration?.observe(labels, (performance.now() - started) / 1000);
  };
  const refuse = (res: ServerResponse, code: ErrorCode, message: string | undefined, started: number) =>
    send(res, errorTable[code].status, errorBody(code, message), started);

  const handle = async (req: IncomingMessage, res: ServerResponse, started: number) => {
    let raw: Buffer;
    try {
      raw = await readIncomingLimited(req, d.maxBodyBytes);
    } catch (err) {
      if (err instanceof ProtocolError) return refuse(res, err.code, err.message, started);
      throw err;
    }
    let body: unknown;
    try {
      const text = raw.toString("utf8");
      // TextDecoder (what Hono's c.req.json() uses) drops a leading byte-order mark.
      body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      return send(
        res,
        400,
        toErrorBody(new ProtocolError("INVALID_JSON", "request body must be JSON")),
        started,
      );
    }
    const r = await d.rpc.handle(body, { viaOnion: false });
    send(res, r.status, r.body, started);
  };

  return (req, res) => {
    if (req.method !== "POST" || req.url !== ROUTE) return false;
    const started = performance.now();
    if (!d.buckets.take(req.socket.remoteAddress ?? "unknown")) {
      refuse(res, "RATE_LIMITED", undefined, started);
      req.resume();
      return true;
    }
    handle(req, res, started).catch((err: unknown) => {
      d.logger.error({ err, route: ROUTE }, "request failed");
      if (!res.headersSent) refuse(res, "INTERNAL", undefined, started);
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
