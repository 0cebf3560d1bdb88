import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import {
  encodeLinkReply,
  LINK_FRAME_OVERHEAD,
  type LinkFrame,
  LinkFrameReader,
  LinkFrameType,
  NODE_LINK_PATH,
  NODE_LINK_PROTOCOL,
} from "@session/protocol/onion";
import type { Logger } from "pino";
import type { LinkReply, PeerHandler, RelayHandler } from "./node-link.ts";

export interface NodeLinkServer {
  /** Links open now. */
  readonly open: number;
  /**
   * Stops taking requests on every link, waits for the ones being handled (at most `forceAfterMs`,
   * then cuts), closes the links.
   */
  close(forceAfterMs?: number): Promise<void>;
}

/** An accepted link: its requests being handled, and who waits for them to drain. */
interface AcceptedLink {
  socket: Socket;
  inFlight: number;
  drained?: () => void;
}

const SHUTTING_DOWN: LinkReply = {
  status: 503,
  contentType: "text/plain; charset=utf-8",
  body: new TextEncoder().encode("Snode shutting down"),
};

/**
 * Accepts node links on `server` (upgrade requests to NODE_LINK_PATH); every other upgrade
 * request is answered 400 and closed (or given to `otherUpgrade`), and link upgrades over
 * `maxLinks` or during shutdown 503.
 */
export function acceptNodeLinks(
  server: Server,
  handlers: { relay: RelayHandler; peer?: PeerHandler },
  opts: {
    maxBodyBytes: number;
    /** Links accepted at once (default 4096); more upgrades are answered 503. */
    maxLinks?: number;
    logger?: Logger;
    /** Where an upgrade request that is not for a link goes (a cluster worker's proxy); default 400. */
    otherUpgrade?: (req: IncomingMessage, socket: Socket, head: Buffer) => void;
  },
): NodeLinkServer {
  const maxLinks = opts.maxLinks ?? 4096;
  const run = (f: LinkFrame): Promise<LinkReply> | undefined => {
    if (f.type === LinkFrameType.request) {
      return handlers.relay(f.body).then((r) => ({
        status: r.status,
        contentType: r.contentType,
        body: typeof r.body === "string" ? Buffer.from(r.body) : r.body,
      }));
    }
    if (f.type === LinkFrameType.peer && handlers.peer) return handlers.peer(f.auth, f.body);
    return undefined;
  };
  const links = new Set<AcceptedLink>();
  let closing = false;
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const wanted = req.url === NODE_LINK_PATH && req.headers.upgrade?.toLowerCase() === NODE_LINK_PROTOCOL;
    if (!wanted && opts.otherUpgrade) return opts.otherUpgrade(req, socket, head);
    if (!wanted || closing || links.size >= maxLinks) {
      // A refused link upgrade (503) makes the opener relay over HTTP for a while.
      const status = wanted ? "503 Service Unavailable" : "400 Bad Request";
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    socket.setNoDelay(true);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${NODE_LINK_PROTOCOL}\r\n\r\n`,
    );
    const link: AcceptedLink = { socket, inFlight: 0 };
    links.add(link);
    const reader = new LinkFrameReader(opts.maxBodyBytes + LINK_FRAME_OVERHEAD);
    const onData = (chunk: Buffer) => {
      let frames: ReturnType<LinkFrameReader["push"]>;
      try {
        frames = reader.push(chunk);
      } catch (err) {
        opts.logger?.debug({ err: String(err) }, "node link: bad frame, closing");
        socket.destroy();
        return;
      }
      for (const f of frames) {
        // Once shutdown began, new requests are refused at once rather than left to time out.
        const replying = closing && f.type !== LinkFrameType.reply ? Promise.resolve(SHUTTING_DOWN) : run(f);
        if (!replying) {
          socket.destroy(); // a reply, or a kind this node does not take
          return;
        }
        link.inFlight++;
        replying
          .then((reply) => {
            if (socket.destroyed) return;
            const [h, b] = encodeLinkReply(f.id, reply.status, reply.contentType, reply.body);
            socket.cork();
            socket.write(h);
            socket.write(b);
            process.nextTick(() => socket.uncork());
          })
          .catch((err: unknown) => {
            opts.logger?.warn({ err: String(err) }, "node link: relay handler failed");
            socket.destroy();
          })
          .finally(() => {
            link.inFlight--;
            if (link.inFlight === 0) link.drained?.();
          });
      }
    };
    socket.on("data", onData);
    socket.on("error", () => {});
    // node:http sockets allow half-open connections: a peer that closed its side is done.
    socket.on("end", () => socket.destroy());
    socket.on("close", () => {
      links.delete(link);
      link.drained?.();
    });
    if (head.length > 0) onData(head);
  });
  return {
    get open() {
      return links.size;
    },
    async close(forceAfterMs = 10_000) {
      closing = true;
      const force = setTimeout(() => {
        for (const link of links) {
          link.socket.destroy();
          link.drained?.();
        }
      }, forceAfterMs);
      force.unref();
      await Promise.all(
        [...links].map(
          (link) =>
            new Promise<void>((resolve) => {
              const done = () => {
                link.socket.end();
                // A peer that never closes its side is cut.
                setTimeout(() => link.socket.destroy(), 2_000).unref();
                resolve();
              };
              if (link.inFlight === 0 || link.socket.destroyed) done();
              else link.drained = done;
            }),
        ),
      );
      clearTimeout(force);
    },
  };
}
