import { createHash, createHmac } from "node:crypto";
import { CryptoError } from "./errors.ts";
import { native, sodium } from "./sodium.ts";

/** BLAKE2b with `outLen` bytes of output (16..64), optionally keyed (key up to 64 bytes). */
export function blake2b(data: Uint8Array, outLen = 32, key?: Uint8Array): Uint8Array {
  if (!Number.isInteger(outLen) || outLen < 16 || outLen > 64) {
    throw new CryptoError("INVALID_INPUT", "BLAKE2b output length must be 16..64");
  }
  // The native binding takes keys of 16..64 bytes only; libsodium itself takes 0..64.
  if (key !== undefined && key.length > 0 && key.length < 16)
    return sodium.crypto_generichash(outLen, data, key);
  const out = new Uint8Array(outLen);
  native.crypto_generichash(out, data, key !== undefined && key.length > 0 ? key : undefined);
  return out;
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

export function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha512").update(data).digest());
}

export function hmacSha256(key: Uint8Array | string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(data).digest());
}
