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
 */
export function gracefulCloser(server: HttpServer | HttpsServer, tls: boolean) {
  const unused = new Set<Socket>();
  const upgraded = new Set<Socket>();
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
        }, opts.graceMs);
        force.unref();
        const idle = setInterval(closeQuiet, opts.pollMs);
        server.close(() => {
          clearTimeout(force);
          clearInterval(idle);
          resolve();
        });
        closeQuiet();
      });
    },
  };
}
