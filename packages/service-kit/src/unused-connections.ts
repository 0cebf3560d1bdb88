import type { Server as HttpServer, IncomingMessage } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";

/**
 * The connections of `server` that have not carried a request (or an upgrade) yet. node:http
 * counts such a connection as busy — waiting for its first request's headers — so
 * `closeIdleConnections()` leaves it and `server.close()` waits for the client to hang up. Clients
 * do keep such connections: undici opens a spare one when a request is aborted and holds it for
 * its 4 s keep-alive timeout. A graceful stop closes them with `closeUnused()`; a request that has
 * begun is never cut by it.
 */
export function trackUnusedConnections(server: HttpServer | HttpsServer, tls: boolean) {
  const unused = new Set<Socket>();
  // Over TLS a connection is usable once its handshake is done; a handshake still going on at stop
  // is left to the stop's forced close.
  server.on(tls ? "secureConnection" : "connection", (socket: Socket) => {
    unused.add(socket);
    socket.once("close", () => unused.delete(socket));
  });
  const used = (req: IncomingMessage) => {
    unused.delete(req.socket);
  };
  server.on("request", used);
  server.on("upgrade", used);
  return {
    closeUnused(): void {
      for (const socket of unused) socket.destroy();
      unused.clear();
    },
  };
}
