import { concatBytes } from "@session/crypto";
import { ProtocolError } from "../errors.ts";

/*
 * The node link: a persistent node-to-node connection that carries onion relays, our stand-in for
 * the OxenMQ connection oxenss nodes keep to each other (`sn.onion_request`). A node opens it with
 * an HTTP/1.1 upgrade on the other node's storage port (so it rides the same TLS listener):
 *
 *   GET /sn/link/v1   Connection: Upgrade   Upgrade: session-node-link/1
 *   → 101 Switching Protocols, Upgrade: session-node-link/1
 *
 * then both sides write frames, any number in flight, replies in any order:
 *
 *   u32le length (of what follows) ‖ u8 type ‖ u32le id ‖ payload
 *   type 1, request: payload = a relay request body (encodeRelayRequest: what POST
 *           /sn/onion_request carries)
 *   type 2, reply:   payload = u16le status ‖ u8 n ‖ content type (n bytes, ASCII) ‖ body — the
 *           status, content type and body that POST /sn/onion_request (or /node_rpc/v1) would
 *           have answered
 *   type 3, peer request: payload = sender Ed25519 key (32) ‖ u64le timestamp (unix ms) ‖
 *           Ed25519 signature (64) ‖ body — a node-to-node RPC (what POST /node_rpc/v1 carries,
 *           with its X-Node-Pubkey / X-Node-Timestamp / X-Node-Signature headers as fields)
 *
 * The opener sends requests and the acceptor replies with the request's id. A frame over the
 * reader's limit, an unknown type or a reply to nothing closes the link.
 */

export const NODE_LINK_PATH = "/sn/link/v1";
export const NODE_LINK_PROTOCOL = "session-node-link/1";

export const LinkFrameType = { request: 1, reply: 2, peer: 3 } as const;

/** A node-to-node RPC's authentication (the receiver checks it as for POST /node_rpc/v1). */
export interface LinkPeerAuth {
  /** Sender's registered Ed25519 key (32 bytes). */
  pubkey: Uint8Array;
  /** Unix ms. */
  timestamp: number;
  /** Ed25519 signature (64 bytes). */
  signature: Uint8Array;
}

/** Bytes a peer request adds before its body (key, timestamp, signature). */
export const LINK_PEER_AUTH_BYTES = 32 + 8 + 64;

/** Bytes a frame adds around its payload (length, type, id). */
export const LINK_FRAME_OVERHEAD = 9;
/** Bytes a reply adds before its body at most (status, content-type length, 255-byte type). */
export const LINK_REPLY_OVERHEAD = LINK_FRAME_OVERHEAD + 3 + 255;

export type LinkFrame =
  | { type: typeof LinkFrameType.request; id: number; body: Uint8Array }
  | { type: typeof LinkFrameType.reply; id: number; status: number; contentType: string; body: Uint8Array }
  | { type: typeof LinkFrameType.peer; id: number; auth: LinkPeerAuth; body: Uint8Array };

function header(length: number, type: number, id: number, extra: number): Uint8Array {
  const h = new Uint8Array(LINK_FRAME_OVERHEAD + extra);
  const v = new DataView(h.buffer);
  v.setUint32(0, length, true);
  v.setUint8(4, type);
  v.setUint32(5, id >>> 0, true);
  return h;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new ProtocolError("BAD_REQUEST", "link frame id must be a u32");
  }
}

/** A request frame as [header, body] (written with one writev; the body is not copied). */
export function encodeLinkRequest(id: number, body: Uint8Array): [Uint8Array, Uint8Array] {
  checkId(id);
  return [header(5 + body.length, LinkFrameType.request, id, 0), body];
}

/** A peer request frame as [header ‖ key ‖ timestamp ‖ signature, body]. */
export function encodeLinkPeerRequest(
  id: number,
  auth: LinkPeerAuth,
  body: Uint8Array,
): [Uint8Array, Uint8Array] {
  checkId(id);
  if (auth.pubkey.length !== 32 || auth.signature.length !== 64) {
    throw new ProtocolError("BAD_REQUEST", "peer auth needs a 32-byte key and a 64-byte signature");
  }
  if (!Number.isSafeInteger(auth.timestamp) || auth.timestamp < 0) {
    throw new ProtocolError("BAD_REQUEST", "peer auth timestamp must be a non-negative integer");
  }
  const h = header(5 + LINK_PEER_AUTH_BYTES + body.length, LinkFrameType.peer, id, LINK_PEER_AUTH_BYTES);
  h.set(auth.pubkey, LINK_FRAME_OVERHEAD);
  view(h).setBigUint64(LINK_FRAME_OVERHEAD + 32, BigInt(auth.timestamp), true);
  h.set(auth.signature, LINK_FRAME_OVERHEAD + 40);
  return [h, body];
}

/** A reply frame as [header ‖ status ‖ content type, body]. */
export function encodeLinkReply(
  id: number,
  status: number,
  contentType: string,
  body: Uint8Array,
): [Uint8Array, Uint8Array] {
  checkId(id);
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new ProtocolError("BAD_REQUEST", "link reply status must be 100..999");
  }
  if (contentType.length > 255 || !/^[\x20-\x7e]*$/.test(contentType)) {
    throw new ProtocolError("BAD_REQUEST", "link reply content type must be ≤255 printable ASCII bytes");
  }
  const n = contentType.length;
  const h = header(5 + 3 + n + body.length, LinkFrameType.reply, id, 3 + n);
  const v = view(h);
  v.setUint16(LINK_FRAME_OVERHEAD, status, true);
  v.setUint8(LINK_FRAME_OVERHEAD + 2, n);
  for (let i = 0; i < n; i++) h[LINK_FRAME_OVERHEAD + 3 + i] = contentType.charCodeAt(i);
  return [h, body];
}

/**
 * Splits a link's byte stream into frames. `push` returns the frames completed by a chunk; it
 * throws ProtocolError (and the link must be closed) for a frame longer than `maxFrameBytes`
 * (refused from its length field, before its payload arrives) or one that does not parse.
 */
export class LinkFrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Uint8Array): LinkFrame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: LinkFrame[] = [];
    for (;;) {
      if (this.buffered < 4) return out;
      const length = this.peekLength();
      if (length < 5) throw new ProtocolError("BAD_REQUEST", "link frame too short");
      if (length + 4 > this.maxFrameBytes)
        throw new ProtocolError("PAYLOAD_TOO_LARGE", "link frame too large");
      if (this.buffered < 4 + length) return out;
      out.push(parseFrame(this.take(4 + length)));
    }
  }

  /** Bytes of an incomplete frame held. */
  get pending(): number {
    return this.buffered;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    const head = first.length >= 4 ? first : concatBytes(...this.chunks);
    return view(head).getUint32(0, true);
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    let frame: Uint8Array;
    if (first.length >= n) {
      frame = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = concatBytes(...this.chunks);
      frame = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return frame;
  }
}

function parseFrame(f: Uint8Array): LinkFrame {
  const type = f[4]!;
  const id = view(f).getUint32(5, true);
  const payload = f.subarray(LINK_FRAME_OVERHEAD);
  if (type === LinkFrameType.request) return { type, id, body: payload };
  if (type === LinkFrameType.reply) {
    if (payload.length < 3) throw new ProtocolError("BAD_REQUEST", "link reply too short");
    const status = view(payload).getUint16(0, true);
    const n = payload[2]!;
    if (payload.length < 3 + n) throw new ProtocolError("BAD_REQUEST", "link reply content type truncated");
    return {
      type,
      id,
      status,
      contentType: String.fromCharCode(...payload.subarray(3, 3 + n)),
      body: payload.subarray(3 + n),
    };
  }
  if (type === LinkFrameType.peer) {
    if (payload.length < LINK_PEER_AUTH_BYTES)
      throw new ProtocolError("BAD_REQUEST", "link peer request too short");
    const ts = view(payload).getBigUint64(32, true);
    if (ts > BigInt(Number.MAX_SAFE_INTEGER))
      throw new ProtocolError("BAD_REQUEST", "link peer timestamp too large");
    return {
      type,
      id,
      auth: {
        pubkey: payload.subarray(0, 32),
        timestamp: Number(ts),
        signature: payload.subarray(40, LINK_PEER_AUTH_BYTES),
      },
      body: payload.subarray(LINK_PEER_AUTH_BYTES),
    };
  }
  throw new ProtocolError("BAD_REQUEST", `unknown link frame type ${type}`);
}
