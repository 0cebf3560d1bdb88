import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";
import { connect, type Socket } from "node:net";
import { INTERNAL_HEADER, PROXIED_HEADER, REMOTE_HEADER } from "./protocol.ts";

/** Headers about one connection, not the request: never passed between the two connections. */
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection"];

/**
 * A worker passes every request it does not serve itself (onion requests, monitor streams, node
 * links, node-to-node RPC, /health, /metrics, …) to the owner process over its Unix socket, as it
 * came, streaming both ways. The owner answers as a single-process node would: the status, headers
 * and body reach the client unchanged (less the hop-by-hop headers of each connection).
 */
export function ownerProxy(socketPath: string, secret: string) {
  const agent = new Agent({ keepAlive: true });
  const upgraded = new Set<Socket>();
  const forOwner = (req: IncomingMessage): IncomingHttpHeaders => {
    const headers: IncomingHttpHeaders = { ...req.headers };
    // A client cannot speak as a worker: only the proxy sets these.
    delete headers[INTERNAL_HEADER];
    headers[PROXIED_HEADER] = secret;
    headers[REMOTE_HEADER] = req.socket.remoteAddress ?? "unknown";
    return headers;
  };

  return {
    request(req: IncomingMessage, res: ServerResponse): void {
      const headers = forOwner(req);
      for (const h of HOP_BY_HOP) delete headers[h];
      const up = request(
        { socketPath, agent, method: req.method, path: req.url, headers },
        (answer: IncomingMessage) => {
          const out = { ...answer.headers };
          for (const h of HOP_BY_HOP) delete out[h];
          res.writeHead(answer.statusCode ?? 502, out);
          answer.pipe(res);
        },
      );
      up.on("error", () => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end("owner unavailable");
        else res.destroy();
      });
      // A client that hangs up (a monitor stream it closes) ends the owner's side too.
      res.on("close", () => {
        if (!res.writableFinished) up.destroy();
      });
      req.pipe(up);
    },

    /** An upgrade (a node link): the request head goes to the owner, then bytes flow both ways. */
    upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
      const up = connect(socketPath);
      const headers = forOwner(req);
      let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (const [name, value] of Object.entries(headers)) {
        for (const v of Array.isArray(value) ? value : [value])
          if (v !== undefined) text += `${name}: ${v}\r\n`;
      }
      up.write(`${text}\r\n`);
      if (head.length > 0) up.write(head);
      const end = () => {
        up.destroy();
        socket.destroy();
      };
      up.on("error", end);
      socket.on("error", end);
      up.on("close", end);
      socket.on("close", end);
      upgraded.add(socket);
      socket.once("close", () => upgraded.delete(socket));
      up.pipe(socket);
      socket.pipe(up);
    },

    /** Drops the upgraded connections and the idle ones to the owner (the worker is stopping). */
    close(): void {
      for (const s of upgraded) s.destroy();
      agent.destroy();
    },
  };
}
