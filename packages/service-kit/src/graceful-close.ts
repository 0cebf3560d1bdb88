import type { Server as HttpServer, IncomingMessage } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";

/**
 * Graceful close for a node:http(s) server; call it right after creating the server, as it tracks
 * the server's connections from then on. `close()` stops accepting and lets the requests in flight
 * finish. Meanwhile it closes each keep-alive connection as soon as it is idle, and each connection
 * that has not carried a request (or an upgrade) yet. After `graceMs` it cuts whatever is left,
 * upgraded connections included: node:http's forced close leaves those to their handler, and
 * `server.close()` waits for them.
 *
 * node:http counts a connection that has not carried a request as busy, because it is waiting for
 * its first request's headers. So `closeIdleConnections()` leaves it open and `server.close()`
 * waits for the client to hang up. Clients do keep such connections: undici opens a spare one when
 * a request is aborted and holds it for its 4 s keep-alive timeout. A request that has begun is
 * never cut before `graceMs`.
 *
 * A server that never listens and is handed its connections (`server.emit("connection", socket)`,
 * as a node cluster worker is) closes the same way: node's own count leaves those connections out,
 * so `close()` waits for every connection the server was given, not only for `server.close()`.
 */
export function gracefulCloser(server: HttpServer | HttpsServer, tls: boolean) {
  const unused = new Set<Socket>();
  const upgraded = new Set<Socket>();
  /** Every connection the server was given, until it closes. */
  const open = new Set<Socket>();
  let drained: (() => void) | undefined;
  // Prepended: a connection refused by an earlier listener (a cap) still counts until it closes.
  server.prependListener("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => {
      open.delete(socket);
      if (open.size === 0) drained?.();
    });
  });
  // Over TLS a connection is usable once its handshake is done; a handshake still going on at
  // close is left to the forced close.
  server.on(tls ? "secureConnection" : "connection", (socket: Socket) => {
    unused.add(socket);
    socket.once("close", () => unused.delete(socket));
  });
  const used = (req: IncomingMessage) => {
    unused.delete(req.socket);
  };
  server.on("request", used);
  server.on("upgrade", (req: IncomingMessage) => {
    used(req);
    upgraded.add(req.socket);
    req.socket.once("close", () => upgraded.delete(req.socket));
  });
  const closeQuiet = () => {
    server.closeIdleConnections();
    for (const socket of unused) socket.destroy();
    unused.clear();
  };
  return {
    /** Resolves once every connection is closed; `pollMs`: how often idle ones are looked for. */
    close(opts: { graceMs: number; pollMs: number }): Promise<void> {
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections();
          for (const socket of upgraded) socket.destroy();
          for (const socket of open) socket.destroy();
        }, opts.graceMs);
        force.unref();
        const idle = setInterval(closeQuiet, opts.pollMs);
        const done = () => {
          clearTimeout(force);
          clearInterval(idle);
          resolve();
        };
        // The callback's error (a server that never listened) changes nothing here.
        server.close(() => {
          if (open.size === 0) done();
          else drained = done;
        });
        closeQuiet();
      });
    },
  };
}
