import type { LinkPeerAuth } from "@session/protocol/onion";
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

// The acceptor side (node-link-acceptor.ts) and the opener side (node-link-dialer.ts, over one
// node-link-connection.ts per peer), re-exported so importers keep one entry for node links.
export { acceptNodeLinks, type NodeLinkServer } from "./node-link-acceptor.ts";
export { type NodeLinks, nodeLinks } from "./node-link-dialer.ts";
