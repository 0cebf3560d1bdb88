import { createPublicKey, verify } from "node:crypto";
import type { SignatureVerifier } from "@session/protocol";

/*
 * Ed25519 primitives the monitor's auth check needs, on node:crypto. The Ed25519 → X25519
 * conversion (libsodium crypto_sign_ed25519_pk_to_curve25519) is the birational map
 * u = (1 + y) / (1 − y) mod p; a key whose y is not canonical or is 1 is refused.
 */

const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");
const P = (1n << 255n) - 19n;

function modPow(base: bigint, exp: bigint): bigint {
  let r = 1n;
  let b = base % P;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}

function ed25519PubkeyToX25519(pk: Uint8Array): Uint8Array | null {
  if (pk.length !== 32) return null;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(pk[i]!);
  y &= (1n << 255n) - 1n;
  if (y >= P || y === 1n) return null;
  let u = ((1n + y) * modPow((1n - y + P) % P, P - 2n)) % P;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

export const ed25519Verifier: SignatureVerifier = {
  verify(signature, message, pubkey) {
    if (signature.length !== 64 || pubkey.length !== 32) return false;
    try {
      const key = createPublicKey({
        key: Buffer.concat([SPKI_ED25519, pubkey]),
        format: "der",
        type: "spki",
      });
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
  ed25519PubkeyToX25519,
};
