import { blake2b, toBase64, utf8Encode } from "@session/crypto";
import { parseUserPubkey, type UserPubkey, userPubkeyBytes } from "./pubkey.ts";

/**
 * The hash a storage node assigns to a stored message (oxenss/rpc/request_handler.cpp
 * `computeMessageHash`): BLAKE2b-256 over
 *   TYPE_BYTE ‖ PUBKEY(32 bytes) ‖ NAMESPACE ‖ DATA
 * where NAMESPACE is empty for namespace 0 and otherwise its decimal form (e.g. "-10", "3"),
 * encoded as standard base64 with the trailing "=" padding removed (43 characters).
 * Timestamps and expiry are not part of the hash: storing the same data twice is idempotent.
 */
export function computeMessageHash(pubkey: UserPubkey | string, namespace: number, data: Uint8Array): string {
  const pk = typeof pubkey === "string" ? parseUserPubkey(pubkey) : pubkey;
  const ns = namespace === 0 ? new Uint8Array(0) : utf8Encode(String(namespace));
  const pre = userPubkeyBytes(pk);
  const buf = new Uint8Array(pre.length + ns.length + data.length);
  buf.set(pre, 0);
  buf.set(ns, pre.length);
  buf.set(data, pre.length + ns.length);
  return toBase64(blake2b(buf, 32)).replace(/=+$/, "");
}

// oxenc::is_base64 accepts both the standard and the URL-safe alphabet.
const HASH_RE = /^[A-Za-z0-9+/_-]{43}$/;

/** A message hash as the server accepts it in requests: 43 base64 characters. */
export function isValidMessageHash(hash: string): boolean {
  return HASH_RE.test(hash);
}
