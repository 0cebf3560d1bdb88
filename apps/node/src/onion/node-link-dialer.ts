import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import {
  encodeLinkPeerRequest,
  encodeLinkRequest,
  type LinkPeerAuth,
  NODE_LINK_PATH,
  NODE_LINK_PROTOCOL,
} from "@session/protocol/onion";
import type { NodePost } from "./http.ts";
import { ONION_RELAY_PATH } from "./limits.ts";
import type { LinkReply } from "./node-link.ts";
import { Link, TimeoutError } from "./node-link-connection.ts";

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
