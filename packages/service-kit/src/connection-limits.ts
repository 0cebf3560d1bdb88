import type { Server as HttpServer, IncomingMessage, ServerOptions, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import { z } from "zod";

/** How long a connection may take and how many one address may hold; see DEFAULT_CONNECTION_LIMITS. */
export interface ConnectionLimits {
  /** Time to send a request's headers, from the connection's start or the previous response. */
  headersTimeoutMs: number;
  /** Time to send a whole request, headers and body (a response may then take as long as it needs). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections one remote address may hold (0: no cap); the next one is closed at once. */
  maxConnectionsPerAddress: number;
}

/**
 * Headers in 10 s (node's own default is 60 s, checked every 30 s: a slow-header client held a
 * connection for up to 90 s); a whole request in 60 s (10 MB at ~170 kB/s); 5 s keep-alive
 * (node's default); 256 connections per address. The cap is high because some peers are many
 * clients behind one address: a storage node relaying onion requests, a carrier-grade NAT.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerAddress: 256,
};

/**
 * The env variables every service reads its connection limits from, with `defaults` over
 * DEFAULT_CONNECTION_LIMITS; spread into the service's schema and pass the parsed env to
 * `connectionLimitsFromEnv`.
 */
export function connectionLimitsEnv(defaults: Partial<ConnectionLimits> = {}) {
  const d = { ...DEFAULT_CONNECTION_LIMITS, ...defaults };
  const ms = (def: number) => z.coerce.number().int().min(10).max(3_600_000).default(def);
  return {
    HTTP_HEADERS_TIMEOUT_MS: ms(d.headersTimeoutMs),
    HTTP_REQUEST_TIMEOUT_MS: ms(d.requestTimeoutMs),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: ms(d.keepAliveTimeoutMs),
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).default(d.maxConnectionsPerAddress),
  };
}

interface ConnectionLimitsEnv {
  HTTP_HEADERS_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: number;
}

export function connectionLimitsFromEnv(env: ConnectionLimitsEnv): ConnectionLimits {
  return {
    headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnectionsPerAddress: env.HTTP_MAX_CONNECTIONS_PER_ADDRESS,
  };
}

/** For a schema's superRefine: node:http refuses a header timeout longer than the request timeout. */
export function checkConnectionLimitsEnv(env: ConnectionLimitsEnv, ctx: z.RefinementCtx): void {
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS)
    ctx.addIssue({
      code: "custom",
      path: ["HTTP_HEADERS_TIMEOUT_MS"],
      message: "must not exceed HTTP_REQUEST_TIMEOUT_MS",
    });
}

/**
 * node:http(s) server options for these limits; they must be given when the server is created
 * (the TLS handshake timeout and the timeout check's interval are read then).
 */
export function connectionServerOptions(
  limits: Partial<ConnectionLimits> = {},
): ServerOptions & { handshakeTimeout: number } {
  const l = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  if (l.headersTimeoutMs > l.requestTimeoutMs)
    throw new RangeError("headersTimeoutMs must not exceed requestTimeoutMs");
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // node looks for expired connections on this interval (30 s by default, which adds up to 30 s
    // to every timeout); a quarter of the header timeout keeps the overshoot small.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(l.headersTimeoutMs / 4))),
    // A TLS client that never finishes its handshake gets no longer than one that sends no headers.
    handshakeTimeout: l.headersTimeoutMs,
  };
}

/**
 * Closes each new connection from an address that already holds `max` open connections, before
 * a byte of it is read (for HTTPS, before the TLS handshake). Counts are kept per address only
 * while connections are open; nothing is logged. Returns the number currently open per address
 * (tests, metrics).
 */
export function capConnectionsPerAddress(
  server: HttpServer | HttpsServer,
  max: number,
  onRefused?: () => void,
): { openFrom(address: string): number } {
  const open = new Map<string, number>();
  if (max > 0) {
    // `prependListener`: before node:http / tls start on the socket.
    server.prependListener("connection", (socket: Socket) => {
      const address = socket.remoteAddress;
      if (address === undefined) return; // already gone
      const n = open.get(address) ?? 0;
      if (n >= max) {
        socket.destroy();
        onRefused?.();
        return;
      }
      open.set(address, n + 1);
      socket.once("close", () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left <= 0) open.delete(address);
        else open.set(address, left);
      });
    });
  }
  return { openFrom: (address) => open.get(address) ?? 0 };
}

/** How long, and how many more body bytes, a connection is read and discarded while it closes. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 32 * 1024 * 1024;
const lingering = new WeakSet<Socket>();

/**
 * Closes a connection whose request body is still arriving, without losing the response: sends
 * FIN after the response and discards what the client is still sending for a moment, then drops
 * it. Closing at once with unread bytes makes the kernel send RST, which can destroy the response
 * before the client has read it (the 413 it needs to stop sending).
 */
function lingerClose(socket: Socket, req: IncomingMessage): void {
  if (lingering.has(socket) || socket.destroyed) return;
  lingering.add(socket);
  let discarded = 0;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  req.on("data", (d: Buffer) => {
    discarded += d.length;
    if (discarded > LINGER_BYTES) socket.destroy();
  });
  // The whole body arrived: nothing unread is left, so closing now sends no RST.
  req.once("end", () => socket.destroy());
  req.resume();
  socket.end();
}

/**
 * Closes the connection once a response is sent while its request's body is still arriving
 * (a 413, a 404 that never read the body); node:http would otherwise read and discard the rest to
 * keep the connection alive, all 150 MB of an oversized upload. The close lingers (lingerClose)
 * so the client reads the answer; a response saying `Connection: close` closes the same way.
 */
export function closeAfterUnreadBody(server: HttpServer | HttpsServer): void {
  // The request each socket is on; its destroySoon is wrapped once, on its first request.
  const current = new WeakMap<Socket, IncomingMessage>();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (!current.has(socket)) {
      // node:http ends a `Connection: close` response with socket.destroySoon(): at once.
      const destroySoon = socket.destroySoon;
      socket.destroySoon = function (this: Socket) {
        const on = current.get(this);
        if (on && !on.complete) lingerClose(this, on);
        else destroySoon.call(this);
      };
    }
    current.set(socket, req);
    res.once("finish", () => {
      if (!req.complete) lingerClose(socket, req);
    });
  });
}
