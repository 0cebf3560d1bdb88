import {
  blake2b,
  concatBytes,
  generateSeed,
  keypairFromSeed,
  sign,
  toBase64,
  toHex,
  utf8Encode,
} from "@session/crypto";
import { rpc } from "./node-net.ts";

/*
 * oxen-storage-server network-tests helpers, ported: a bare Ed25519 key (`SigningKey.generate()`),
 * used under any network prefix a test chooses (03 groups, or 05 + the Ed25519 key itself, which
 * oxenss accepts when no pubkey_ed25519 is given), and subaccount.make_subaccount.
 */
export const b64 = (b: Uint8Array) => toBase64(b);
export const enc = (s: string) => utf8Encode(s);

export interface Sk {
  pub: Uint8Array;
  sign(m: Uint8Array): Uint8Array;
}
export function signingKey(): Sk {
  const k = keypairFromSeed(generateSeed());
  return { pub: k.ed25519.publicKey, sign: (m) => sign(m, k.ed25519.secretKey) };
}
export const sigB64 = (sk: Sk, m: string | Uint8Array) => b64(sk.sign(typeof m === "string" ? enc(m) : m));

/** blake2b-256 of (prefix byte ‖ key ‖ namespace text ‖ data), unpadded base64: the message hash. */
export const msgHash = (prefix: number, key: Uint8Array, ns: string, data: Uint8Array) =>
  b64(blake2b(concatBytes(new Uint8Array([prefix]), key, enc(ns), data), 32)).replace(/=+$/, "");

export interface Subaccount {
  sub: Sk;
  /** prefix(1) ‖ flags(1) ‖ 0 0 ‖ subaccount Ed25519 pubkey(32) */
  token: Uint8Array;
  /** The account key's signature of the token. */
  sig: Uint8Array;
}
export function makeSubaccount(
  netid: number,
  owner: Sk,
  { read = true, write = true, del = false, anyPrefix = false } = {},
): Subaccount {
  const sub = signingKey();
  const flags = Number(read) | (Number(write) << 1) | (Number(del) << 2) | (Number(anyPrefix) << 3);
  const token = new Uint8Array([netid, flags, 0, 0, ...sub.pub]);
  return { sub, token, sig: owner.sign(token) };
}

/** A 03 group: its id and key. */
export function groupAccount() {
  const sk = signingKey();
  return { sk, pk: `03${toHex(sk.pub)}` };
}

/** (un)revoke_subaccount signed by the account key. */
export function revokeParams(
  sk: Sk,
  pk: string,
  method: "revoke" | "unrevoke",
  tokens: Uint8Array[],
  t = Date.now(),
) {
  return {
    pubkey: pk,
    [method]: tokens.map(b64),
    timestamp: t,
    signature: sigB64(sk, concatBytes(enc(`${method}_subaccount${t}`), ...tokens)),
  };
}

/** retrieve authenticated by a subaccount. */
export function subaccountRetrieve(url: string, pk: string, sub: Subaccount, namespace = 0, t = Date.now()) {
  return rpc(url, "retrieve", {
    pubkey: pk,
    namespace,
    timestamp: t,
    signature: sigB64(sub.sub, `retrieve${namespace === 0 ? "" : namespace}${t}`),
    subaccount: b64(sub.token),
    subaccount_sig: b64(sub.sig),
  });
}
