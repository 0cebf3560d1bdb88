import { fromBase64, fromHex, sha256, sign, toBase64, toHex, utf8Encode, verify } from "@session/crypto";
import { type NodeInfo, ProtocolError } from "@session/protocol";
import type { LinkPeerAuth } from "@session/protocol/onion";
import { type Dispatcher, request as undiciRequest } from "undici";
import type { NodeLinks } from "../onion/node-link.ts";
import type { Membership } from "../swarm/membership.ts";

/*
 * Node-to-node requests (POST /node_rpc/v1) are authenticated by the sender's registered Ed25519
 * key, not by TLS (nodes use self-signed certificates, as in Session):
 *   X-Node-Pubkey: sender Ed25519 key (hex) — must be a registered node
 *   X-Node-Timestamp: unix ms, within ±PEER_CLOCK_TOLERANCE_MS of the receiver's clock
 *   X-Node-Signature: base64 Ed25519 signature of "<timestamp>\n<hex sha256(body)>"
 */

export const PEER_RPC_PATH = "/node_rpc/v1";
export const PEER_CLOCK_TOLERANCE_MS = 60_000;

function peerMessage(timestamp: string, body: Uint8Array): Uint8Array {
  return utf8Encode(`${timestamp}\n${toHex(sha256(body))}`);
}

/** A node-to-node request's authentication as raw fields (a node link carries them so). */
export function peerAuth(
  keys: { publicKey: Uint8Array; secretKey: Uint8Array },
  body: Uint8Array,
  now: number,
): LinkPeerAuth {
  return {
    pubkey: keys.publicKey,
    timestamp: now,
    signature: sign(peerMessage(String(now), body), keys.secretKey),
  };
}

export function signPeerRequest(
  keys: { publicKey: Uint8Array; secretKey: Uint8Array },
  body: Uint8Array,
  now: number,
): Record<string, string> {
  return peerAuthHeaders(peerAuth(keys, body, now));
}

/** The X-Node-* headers of a request authenticated by `auth`. */
export function peerAuthHeaders(auth: LinkPeerAuth): Record<string, string> {
  return {
    "x-node-pubkey": toHex(auth.pubkey),
    "x-node-timestamp": String(auth.timestamp),
    "x-node-signature": toBase64(auth.signature),
  };
}

/** Returns the registered sender, or throws UNAUTHORIZED / TIMESTAMP_OUT_OF_WINDOW / BAD_SIGNATURE. */
export function verifyPeerRequest(
  headers: { get(name: string): string | null | undefined },
  body: Uint8Array,
  membership: Membership,
  now: number,
): NodeInfo {
  const sig = headers.get("x-node-signature") ?? "";
  return checkPeerAuth(
    headers.get("x-node-pubkey") ?? "",
    headers.get("x-node-timestamp") ?? "",
    () => {
      try {
        return fromBase64(sig);
      } catch (cause) {
        throw new ProtocolError("BAD_SIGNATURE", "bad peer signature", undefined, { cause });
      }
    },
    body,
    membership,
    now,
  );
}

/** verifyPeerRequest for the raw fields a node link's peer request carries. */
export function verifyPeerAuth(
  auth: LinkPeerAuth,
  body: Uint8Array,
  membership: Membership,
  now: number,
): NodeInfo {
  return checkPeerAuth(
    toHex(auth.pubkey),
    String(auth.timestamp),
    () => auth.signature,
    body,
    membership,
    now,
  );
}

/** The checks, in order: registered sender, timestamp window, signature (read only if needed). */
function checkPeerAuth(
  pk: string,
  ts: string,
  signature: () => Uint8Array,
  body: Uint8Array,
  membership: Membership,
  now: number,
): NodeInfo {
  const node = /^[0-9a-f]{64}$/.test(pk) ? membership.nodeByEd25519(pk) : undefined;
  if (!node) throw new ProtocolError("UNAUTHORIZED", "not a registered node");
  const t = Number(ts);
  if (!Number.isSafeInteger(t) || Math.abs(now - t) > PEER_CLOCK_TOLERANCE_MS) {
    throw new ProtocolError("TIMESTAMP_OUT_OF_WINDOW", "peer request timestamp out of window");
  }
  if (!verify(signature(), peerMessage(ts, body), fromHex(pk))) {
    throw new ProtocolError("BAD_SIGNATURE", "bad peer signature");
  }
  return node;
}

/** Cap on a forwarded request's reply (one member's signed result; a delete_all lists hashes). */
const FORWARD_REPLY_MAX = 10 << 20;
const textDecoder = new TextDecoder();

/** A payload serialised and signed once, to send to several nodes (a swarm fan-out). */
export interface SignedPeerPayload {
  readonly body: Uint8Array;
  readonly auth: LinkPeerAuth;
  readonly isForward: boolean;
}

export interface PeerClient {
  post(node: NodeInfo, payload: unknown, timeoutMs?: number): Promise<{ status: number; body: unknown }>;
  sign(payload: unknown): SignedPeerPayload;
  send(
    node: NodeInfo,
    signed: SignedPeerPayload,
    timeoutMs?: number,
  ): Promise<{ status: number; body: unknown }>;
}

/**
 * Signed JSON POSTs to other nodes, with a timeout on every request. With a `dispatcher` they go
 * through undici's `request` on its keep-alive connections (a store fans out to every swarm peer;
 * `fetch` costs several times more per request), otherwise through `fetch`.
 */
export function peerClient(opts: {
  keys: { publicKey: Uint8Array; secretKey: Uint8Array };
  scheme: "http" | "https";
  fetch: typeof fetch;
  dispatcher?: Dispatcher;
  now: () => number;
  /**
   * Node links: swarm forwards (the per-store fan-out) go over the peer's link when it takes
   * them; sync and import (large, rare) stay on HTTP.
   */
  links?: Pick<NodeLinks, "peerRequest">;
}): PeerClient {
  const send = async (url: string, headers: Record<string, string>, body: Uint8Array, timeoutMs: number) => {
    const signal = AbortSignal.timeout(timeoutMs);
    if (opts.dispatcher) {
      const res = await undiciRequest(url, {
        dispatcher: opts.dispatcher,
        method: "POST",
        headers,
        body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        signal,
      });
      return { status: res.statusCode, text: await res.body.text() };
    }
    const res = await opts.fetch(url, {
      method: "POST",
      headers,
      body: body as Uint8Array<ArrayBuffer>,
      signal,
    });
    return { status: res.status, text: await res.text() };
  };
  const sign = (payload: unknown): SignedPeerPayload => {
    const body = utf8Encode(JSON.stringify(payload));
    return {
      body,
      auth: peerAuth(opts.keys, body, opts.now()),
      isForward: (payload as { action?: unknown } | null)?.action === "forward",
    };
  };
  const client: PeerClient = {
    sign,
    post: (node, payload, timeoutMs) => client.send(node, sign(payload), timeoutMs),
    async send(node, { body, auth, isForward }, timeoutMs = 5000) {
      const origin = `${opts.scheme}://${node.public_ip}:${node.storage_port}`;
      const viaLink =
        isForward && opts.links
          ? await opts.links.peerRequest(origin, auth, body, { timeoutMs, maxReplyBytes: FORWARD_REPLY_MAX })
          : undefined;
      const res = viaLink
        ? { status: viaLink.status, text: textDecoder.decode(viaLink.body) }
        : await send(
            `${origin}${PEER_RPC_PATH}`,
            { "content-type": "application/json", ...peerAuthHeaders(auth) },
            body,
            timeoutMs,
          );
      const text = res.text;
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed };
    },
  };
  return client;
}
