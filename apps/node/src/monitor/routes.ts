import type { EventEmitter } from "node:events";
import { getConnInfo } from "@hono/node-server/conninfo";
import { fromZodError, ProtocolError, toErrorBody } from "@session/protocol";
import {
  MONITOR_STREAM_PATH,
  MONITOR_SUBSCRIBE_PATH,
  monitorStreamRequestSchema,
  monitorSubscribeRequestSchema,
} from "@session/protocol/monitor";
import type { SignatureVerifier } from "@session/protocol/rpc";
import { readBodyLimited } from "@session/service-kit";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import type { z } from "zod";
import { requestVerifier } from "../rpc/node-crypto.ts";
import {
  DEFAULT_MONITOR_LIMITS,
  MonitorHub,
  type MonitorLimits,
  type MonitorStream,
  type StoredMessage,
} from "./hub.ts";

/** The node:http response behind a Hono context served by @hono/node-server. */
interface NodeOutgoing {
  writableEnded: boolean;
  writableLength: number;
  destroy(): void;
}

/** The parts of NodeContext the monitor uses. */
export interface MonitorRouteContext {
  clock: { now(): number };
  logger: Logger;
  /** Emits "stored" with a StoredMessage for every newly stored message. */
  events: EventEmitter;
}

export interface MonitorOptions {
  limits?: Partial<MonitorLimits>;
  /** Idle time after which a `: keepalive` comment is written (default 25 s). */
  keepaliveMs?: number;
  /** Largest subscribe request body (default 1 MiB). */
  maxBodyBytes?: number;
  /** After the node closes a stream, how long its reader has to take the rest (default 5 s). */
  closeGraceMs?: number;
  verifier?: SignatureVerifier;
}

export interface MonitorService {
  routes: Hono;
  hub: MonitorHub;
  /** Stops listening for stored messages and ends every stream with a `close` event. */
  close(): void;
}

async function readJson<S extends z.ZodType>(c: Context, schema: S, maxBytes: number): Promise<z.output<S>> {
  const bytes = await readBodyLimited(c.req.raw, maxBytes, "onion request data too big");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new ProtocolError("INVALID_JSON", "request body must be JSON", undefined, { cause });
  }
  const r = schema.safeParse(json);
  if (!r.success) throw fromZodError(r.error);
  return r.data;
}

/** The remote address of the request (for the per-address stream cap); "unknown" off node:http. */
function sourceOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

function errorResponse(c: Context, err: unknown): Response {
  const status = err instanceof ProtocolError ? err.status : 500;
  return c.json(toErrorBody(err), status as 400);
}

/**
 * Monitor API for the push server (replaces oxenss's OxenMQ `monitor.messages`): see
 * packages/protocol/docs/monitor.md. `POST /monitor/v1/stream` opens a Server-Sent-Events stream with
 * signed subscriptions; `POST /monitor/v1/subscribe` adds or renews subscriptions on it.
 */
export function createMonitorService(ctx: MonitorRouteContext, options: MonitorOptions = {}): MonitorService {
  const keepaliveMs = options.keepaliveMs ?? 25_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const closeGraceMs = options.closeGraceMs ?? 5000;
  const logger = ctx.logger.child({ component: "monitor" });
  const hub = new MonitorHub({
    now: () => ctx.clock.now(),
    verifier: options.verifier ?? requestVerifier,
    limits: options.limits,
  });
  const onStored = (m: StoredMessage) => hub.publish(m);
  ctx.events.on("stored", onStored);
  const grace = options.limits?.emptyStreamGraceMs ?? DEFAULT_MONITOR_LIMITS.emptyStreamGraceMs;
  const emptySweep = setInterval(() => hub.closeEmpty(), Math.max(50, Math.min(1000, grace)));
  emptySweep.unref();

  const app = new Hono();

  app.post(MONITOR_STREAM_PATH, async (c) => {
    let subscriptions: unknown[];
    try {
      ({ subscriptions } = await readJson(c, monitorStreamRequestSchema, maxBodyBytes));
    } catch (err) {
      return errorResponse(c, err);
    }
    const stream = hub.open(sourceOf(c));
    if (stream === "full") {
      return errorResponse(c, new ProtocolError("SERVICE_UNAVAILABLE", "too many monitor streams"));
    }
    if (stream === "source_full") {
      return errorResponse(
        c,
        new ProtocolError("RATE_LIMITED", "too many monitor streams from this address"),
      );
    }
    const results = hub.subscribe(stream, subscriptions);
    if (!results.some((r) => "success" in r)) {
      // A stream nobody can be notified on would only hold a slot.
      hub.remove(stream);
      const err = new ProtocolError("BAD_REQUEST", "no valid subscription: a stream opens with at least one");
      return c.json({ ...toErrorBody(err), results }, 400);
    }
    logger.debug({ stream: stream.id, subscriptions: results.length }, "monitor stream opened");
    return streamSSE(c, async (sse) => {
      sse.onAbort(() => {
        stream.abort();
        hub.remove(stream);
      });
      // A reader that stopped reading leaves our writes buffered (or pending) without end: once
      // the hub has dropped the stream, give the rest a moment to go out, then cut the socket.
      stream.whenClosed(() => {
        setTimeout(() => {
          const out = (c.env as { outgoing?: NodeOutgoing } | undefined)?.outgoing;
          if (out && (!out.writableEnded || out.writableLength > 0)) out.destroy();
          sse.abort();
        }, closeGraceMs).unref();
      });
      await sse.writeSSE({ event: "subscribed", data: JSON.stringify({ stream: stream.id, results }) });
      try {
        await pump(stream, sse, keepaliveMs);
      } finally {
        hub.remove(stream);
      }
      logger.debug({ stream: stream.id }, "monitor stream ended");
    });
  });

  app.post(MONITOR_SUBSCRIBE_PATH, async (c) => {
    try {
      const req = await readJson(c, monitorSubscribeRequestSchema, maxBodyBytes);
      const stream = hub.get(req.stream);
      if (!stream) throw new ProtocolError("NOT_FOUND", "no open monitor stream with that id");
      return c.json({ stream: stream.id, results: hub.subscribe(stream, req.subscriptions) });
    } catch (err) {
      return errorResponse(c, err);
    }
  });

  return {
    routes: app,
    hub,
    close() {
      ctx.events.off("stored", onStored);
      clearInterval(emptySweep);
      hub.closeAll();
    },
  };
}

/** Writes queued events until the stream closes; a comment line keeps idle connections alive. */
async function pump(
  stream: MonitorStream,
  sse: {
    writeSSE(m: { event: string; data: string; id: string }): Promise<void>;
    write(s: string): Promise<unknown>;
  },
  keepaliveMs: number,
): Promise<void> {
  let id = 0;
  for (;;) {
    const events = await stream.next(keepaliveMs);
    if (events.length === 0) {
      if (stream.closed) return;
      await sse.write(": keepalive\n\n");
      continue;
    }
    for (const e of events) {
      id++;
      await sse.writeSSE({ event: e.event, data: JSON.stringify(e.data), id: String(id) });
    }
  }
}

/** Monitor routes on their own (the service's `close` is not reachable this way). */
export function monitorRoutes(ctx: MonitorRouteContext, options: MonitorOptions = {}): Hono {
  return createMonitorService(ctx, options).routes;
}
