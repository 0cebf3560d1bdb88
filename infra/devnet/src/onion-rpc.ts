import { fromBase64, fromHex, onionOpenReply, onionSealLayer, utf8Decode, utf8Encode } from "@session/crypto";
import { buildOnionRequest, decodeFinalHopResponse, type NodeInfo } from "@session/protocol";

/** What an onion path needs of a node: where to reach it and its two keys (hex). */
export type OnionNode = Pick<NodeInfo, "public_ip" | "storage_port" | "pubkey_ed25519" | "pubkey_x25519">;

/** Sends a request body to a URL with the caller's own transport (TLS policy, dispatcher). */
export type PostBytes = (url: string, body: Uint8Array) => Promise<{ status: number; bytes: Uint8Array }>;

const hop = (n: OnionNode) => ({ ed25519: fromHex(n.pubkey_ed25519), x25519: fromHex(n.pubkey_x25519) });

/**
 * One storage RPC to `dest` through `path` (the first node is the one contacted), built from the
 * wire format alone as Session clients send it: xchacha20 layers POSTed to `/onion_req/v2`.
 * Returns the destination's decrypted answer; throws when the first hop does not answer 200.
 */
export async function onionRpc(
  scheme: string,
  path: readonly OnionNode[],
  dest: OnionNode,
  request: { method: string; params: unknown },
  post: PostBytes,
): Promise<{ status: number; body: unknown }> {
  const built = buildOnionRequest(
    {
      payload: utf8Encode(JSON.stringify(request)),
      destination: { kind: "node", ...hop(dest) },
      hops: path.map(hop),
      encType: "xchacha20",
    },
    onionSealLayer,
  );
  const first = path[0]!;
  const url = `${scheme}://${first.public_ip}:${first.storage_port}/onion_req/v2`;
  const res = await post(url, built.request);
  if (res.status !== 200) throw new Error(`onion request via ${url}: HTTP ${res.status}`);
  // The reply is base64 text of the ciphertext (oxenss's default for the JSON form), else raw bytes.
  const text = utf8Decode(res.bytes);
  const cipher = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? fromBase64(text) : res.bytes;
  return decodeFinalHopResponse(utf8Decode(onionOpenReply("xchacha20", cipher, built.destinationKeys)));
}
