import type { IncomingMessage, Server } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import { SessionError } from "@session/errors";
import { ProtocolError } from "@session/protocol";
import type { LinkFrame, LinkPeerAuth } from "@session/protocol/onion";
import {
  encodeLinkPeerRequest,
  encodeLinkReply,
  encodeLinkRequest,
  LINK_FRAME_OVERHEAD,
  LINK_REPLY_OVERHEAD,
  LinkFrameReader,
  LinkFrameType,
  NODE_LINK_PATH,
  NODE_LINK_PROTOCOL,
} from "@session/protocol/onion";
import type { Logger } from "pino";
import type { NodePost } from "./http.ts";
import { ONION_RELAY_PATH } from "./limits.ts";
import type { OnionReply } from "./reply.ts";

/*
 * Node links (framing and handshake in @session/protocol node-link.ts): onion relays between nodes
 * travel as frames on one persistent connection per peer instead of one HTTP request each, as
 * oxenss relays over its OxenMQ connections. A relay then costs a socket write and a frame parse
 * on each side instead of an HTTP client request and an HTTP server request.
 */

/** What a link's acceptor runs for each relay request (the `/sn/onion_request` handler). */
export type RelayHandler = (body: Uint8Array) => Promise<OnionReply>;

/** A reply as the link carries it. */
export interface LinkReply {
  status: number;
  contentType: string;
  body: Uint8Array;
}

/** What a link's acceptor runs for each peer request (the `/node_rpc/v1` handler). */
export type PeerHandler = (auth: LinkPeerAuth, body: Uint8Array) => Promise<LinkReply>;

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
 * request is answered 400 and closed, and link upgrades over `maxLinks` or during shutdown 503.
 */
export function acceptNodeLinks(
  server: Server,
  handlers: { relay: RelayHandler; peer?: PeerHandler },
  opts: {
    maxBodyBytes: number;
    /** Links accepted at once (default 4096); more upgrades are answered 503. */
    maxLinks?: number;
    logger?: Logger;
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

interface Pending {
  resolve(r: LinkReply): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  maxReplyBytes: number;
}

/** A link request or connect with no answer in time: another attempt (or node) can help. */
class TimeoutError extends SessionError<"LINK_TIMEOUT"> {
  override readonly name = "TimeoutError";
  constructor(message: string) {
    super("LINK_TIMEOUT", message, { retryable: true });
  }
}

/** One open link to a peer: requests by id, replies matched back. */
class Link {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly reader: LinkFrameReader;
  closed = false;

  /** When the link last had nothing in flight (idle links are closed). */
  idleSince = Date.now();

  constructor(
    private readonly socket: Socket,
    head: Buffer,
    maxReplyBytes: number,
    private readonly onClose: () => void,
  ) {
    this.reader = new LinkFrameReader(maxReplyBytes + LINK_REPLY_OVERHEAD);
    socket.setNoDelay(true);
    socket.setTimeout(0); // the connect timeout must not close an idle link
    if (head.length > 0) this.onData(head);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => {});
    socket.on("end", () => socket.destroy());
    socket.on("close", () => this.fail(new Error("node link closed")));
  }

  request(
    frame: (id: number) => [Uint8Array, Uint8Array],
    timeoutMs: number,
    maxReplyBytes: number,
  ): Promise<LinkReply> {
    return new Promise<LinkReply>((resolve, reject) => {
      if (this.closed) return reject(new Error("node link closed"));
      const id = this.nextId;
      this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
      const timer = setTimeout(() => {
        // A late reply to this id is dropped (its id is no longer pending).
        this.pending.delete(id);
        if (this.pending.size === 0) this.idleSince = Date.now();
        reject(new TimeoutError("node link request timed out"));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, maxReplyBytes });
      const [h, b] = frame(id);
      this.socket.cork();
      this.socket.write(h);
      this.socket.write(b);
      process.nextTick(() => this.socket.uncork());
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    this.socket.destroy();
    this.fail(new Error("node link closed"));
  }

  private onData(chunk: Buffer): void {
    let frames: ReturnType<LinkFrameReader["push"]>;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      const tooLarge = err instanceof ProtocolError && err.code === "PAYLOAD_TOO_LARGE";
      this.socket.destroy();
      this.fail(tooLarge ? new ProtocolError("BAD_GATEWAY", "reply too large") : err);
      return;
    }
    for (const f of frames) {
      if (f.type !== LinkFrameType.reply) {
        this.socket.destroy(); // an acceptor never sends requests
        this.fail(new Error("node link: unexpected frame"));
        return;
      }
      const p = this.pending.get(f.id);
      if (!p) continue; // timed out already
      this.pending.delete(f.id);
      if (this.pending.size === 0) this.idleSince = Date.now();
      clearTimeout(p.timer);
      if (f.body.length > p.maxReplyBytes) p.reject(new ProtocolError("BAD_GATEWAY", "reply too large"));
      else p.resolve({ status: f.status, contentType: f.contentType, body: f.body });
    }
  }

  private fail(err: unknown): void {
    if (!this.closed) {
      this.closed = true;
      this.onClose();
    }
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}

/** The peer answered the upgrade with something else than 101 (an older node, or not a node). */
class UpgradeRefused extends Error {}

export interface NodeLinks {
  /** NodePost for relays: `…/sn/onion_request` goes over the peer's link, anything else to `fallback`. */
  post: NodePost;
  /**
   * A node-to-node RPC over the link to `origin` (scheme://host:port); undefined when the peer
   * takes no links (then send it over HTTP).
   */
  peerRequest(
    origin: string,
    auth: LinkPeerAuth,
    body: Uint8Array,
    opts: { timeoutMs: number; maxReplyBytes: number },
  ): Promise<LinkReply | undefined>;
  /** Links open now. */
  readonly open: number;
  close(): void;
}

/**
 * Opens links to peers on first use (one per origin, shared by every relay to it) and sends relays
 * over them. A peer that refuses the upgrade is sent plain HTTP relays (`fallback`) for
 * `refusedForMs`, then tried again; a link that closes fails its requests in flight (the relay
 * answers 502 as for an unreachable node) and is reopened by the next relay.
 */
export function nodeLinks(
  fallback: NodePost,
  opts: {
    maxReplyBytes: number;
    connectTimeoutMs?: number;
    refusedForMs?: number;
    /** Close a link after this long with nothing in flight (default 5 min). */
    idleMs?: number;
  },
): NodeLinks {
  const links = new Map<string, Link | Promise<Link>>();
  const refused = new Map<string, number>();
  const refusedForMs = opts.refusedForMs ?? 60_000;
  const idleMs = opts.idleMs ?? 300_000;
  let closed = false;
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - idleMs;
      for (const l of links.values())
        if (l instanceof Link && l.inFlight === 0 && l.idleSince < cutoff) l.close();
    },
    Math.max(10, Math.min(idleMs, 60_000)),
  );
  sweep.unref();

  const connect = (origin: string): Promise<Link> =>
    new Promise<Link>((resolve, reject) => {
      const u = new URL(origin);
      const req = (u.protocol === "https:" ? httpsRequest : httpRequest)({
        host: u.hostname,
        port: u.port,
        path: NODE_LINK_PATH,
        method: "GET",
        headers: { connection: "Upgrade", upgrade: NODE_LINK_PROTOCOL },
        agent: false,
        // Nodes use self-signed certificates; identity comes from the registered keys (README).
        rejectUnauthorized: false,
        timeout: opts.connectTimeoutMs ?? 10_000,
      });
      req.on("upgrade", (res, socket, head) => {
        if (res.headers.upgrade?.toLowerCase() !== NODE_LINK_PROTOCOL) {
          socket.destroy();
          return reject(new UpgradeRefused("wrong upgrade protocol"));
        }
        const link = new Link(socket, head, opts.maxReplyBytes, () => {
          if (links.get(origin) === link) links.delete(origin);
        });
        resolve(link);
      });
      req.on("response", (res) => {
        res.resume();
        reject(new UpgradeRefused(`upgrade refused: HTTP ${res.statusCode}`));
      });
      req.on("timeout", () => req.destroy(new TimeoutError("node link connect timed out")));
      req.on("error", reject);
      req.end();
    });

  const linkTo = (origin: string): Link | Promise<Link> => {
    const have = links.get(origin);
    if (have) return have;
    const opening = connect(origin).then(
      (link) => {
        if (closed) link.close();
        else links.set(origin, link);
        return link;
      },
      (err: unknown) => {
        links.delete(origin);
        throw err;
      },
    );
    links.set(origin, opening);
    return opening;
  };

  /** The open link to `origin`, or undefined when it takes none (refused upgrades are remembered). */
  const usable = async (origin: string): Promise<Link | undefined> => {
    if (closed || (refused.get(origin) ?? 0) > Date.now()) return undefined;
    try {
      const l = linkTo(origin);
      return l instanceof Link ? l : await l;
    } catch (err) {
      if (!(err instanceof UpgradeRefused)) throw err;
      refused.set(origin, Date.now() + refusedForMs);
      return undefined;
    }
  };

  const post: NodePost = async (url, body, o) => {
    const cut = url.endsWith(ONION_RELAY_PATH) ? url.length - ONION_RELAY_PATH.length : -1;
    const link = cut > 0 ? await usable(url.slice(0, cut)) : undefined;
    if (!link) return fallback(url, body, o);
    return link.request((id) => encodeLinkRequest(id, body), o.timeoutMs, o.maxReplyBytes);
  };

  return {
    post,
    async peerRequest(origin, auth, body, o) {
      const link = await usable(origin);
      if (!link) return undefined;
      return link.request((id) => encodeLinkPeerRequest(id, auth, body), o.timeoutMs, o.maxReplyBytes);
    },
    get open() {
      let n = 0;
      for (const l of links.values()) if (l instanceof Link) n++;
      return n;
    },
    close() {
      closed = true;
      clearInterval(sweep);
      for (const l of links.values()) if (l instanceof Link) l.close();
      links.clear();
    },
  };
}
