import type { IncomingMessage, ServerResponse } from "node:http";
import { ProtocolError } from "@session/protocol";
import type { Logger } from "pino";
import type { Counter, Histogram, Registry } from "prom-client";
import type { RpcResult } from "./handler.ts";
import {
  type StorageRpcRoute,
  type StorageRpcTransport,
  type StorageRpcWireReply,
  storageHttpRefusal,
  storageRpcWireReply,
} from "./storage-rpc-route.ts";

/*
 * The storage RPC route (storage-rpc-route.ts) served straight on node:http, ahead of Hono: this
 * skips building a WHATWG Request, its body stream and AbortSignal, and the Response object, which
 * cost about as much per request as the signature check. It records the same
 * http_requests_total / http_request_duration_seconds samples as the Hono metrics middleware.
 */

export interface StorageRpcFastPathDeps {
  route: StorageRpcRoute;
  /** The registry the service-kit metrics middleware records into. */
  metrics: Registry;
  metricPrefix: string;
  logger: Logger;
}

/** A request listener step: true when it answered the request, false to pass it on. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const nodeHttpTransport: StorageRpcTransport<IncomingMessage> = {
  remoteAddress: (req) => req.socket.remoteAddress ?? "unknown",
  header(req, name) {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(", ") : v;
  },
  body: readIncomingLimited,
};

export function storageRpcFastPath(d: StorageRpcFastPathDeps): FastPath {
  const served = new StorageRpcOnNodeHttp(d);
  const { method, path } = d.route;
  return (req, res) => {
    if (req.method !== method || req.url !== path) return false;
    void served.serve(req, res, performance.now());
    return true;
  };
}

class StorageRpcOnNodeHttp {
  private readonly requests: Counter<"method" | "route" | "status"> | undefined;
  private readonly duration: Histogram<"method" | "route" | "status"> | undefined;

  constructor(private readonly d: StorageRpcFastPathDeps) {
    this.requests = d.metrics.getSingleMetric(`${d.metricPrefix}http_requests_total`) as
      | Counter<"method" | "route" | "status">
      | undefined;
    this.duration = d.metrics.getSingleMetric(`${d.metricPrefix}http_request_duration_seconds`) as
      | Histogram<"method" | "route" | "status">
      | undefined;
  }

  async serve(req: IncomingMessage, res: ServerResponse, started: number): Promise<void> {
    try {
      this.send(res, await this.d.route.serve(nodeHttpTransport, req), started);
    } catch (err) {
      this.d.logger.error({ err, route: this.d.route.path }, "request failed");
      if (!res.headersSent) this.send(res, storageHttpRefusal.failed(), started);
      else res.destroy();
    }
  }

  private send(res: ServerResponse, r: RpcResult, started: number): void {
    const wire = nodeHttpReply(storageRpcWireReply(r));
    res.writeHead(wire.status, wire.headers);
    endAtTurnEnd(res, wire.body);
    const labels = { method: this.d.route.method, route: this.d.route.path, status: String(wire.status) };
    this.requests?.inc(labels);
    this.duration?.observe(labels, (performance.now() - started) / 1000);
  }
}

/**
 * The reply with its Content-Length. Its own headers object is extended in place: on Node 20's V8
 * `{ ...headers, key }` builds a hidden class per reply, in old space (apps/node/README.md,
 * "Garbage the old generation collects").
 */
export function nodeHttpReply(wire: StorageRpcWireReply): StorageRpcWireReply {
  wire.headers["content-length"] = String(Buffer.byteLength(wire.body));
  return wire;
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
