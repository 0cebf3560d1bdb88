import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";

/*
 * Native fast path on node:crypto (OpenSSL) for the hot operations of servers: Ed25519
 * sign/verify and X25519. Same inputs and outputs as the libsodium functions in keys.ts, which stay
 * the portable default (browsers, other runtimes). Keys are imported once per call here; callers
 * that sign or derive repeatedly with one key should keep the KeyObject from `ed25519SigningKey`.
 */

const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");

/** Node KeyObject for a 64-byte libsodium Ed25519 secret key (or its 32-byte seed). */
export function ed25519SigningKey(secretKey: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, secretKey.subarray(0, 32)]),
    format: "der",
    type: "pkcs8",
  });
}

export function ed25519VerifyingKey(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, publicKey]), format: "der", type: "spki" });
}

export function nativeSign(message: Uint8Array, key: KeyObject | Uint8Array): Uint8Array {
  const k = key instanceof Uint8Array ? ed25519SigningKey(key) : key;
  return new Uint8Array(nodeSign(null, message, k));
}

export function nativeVerify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: KeyObject | Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  try {
    const k = publicKey instanceof Uint8Array ? ed25519VerifyingKey(publicKey) : publicKey;
    return nodeVerify(null, message, k, signature);
  } catch {
    return false;
  }
}

export function x25519PrivateKeyObject(secretKey: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secretKey]), format: "der", type: "pkcs8" });
}

/** X25519 shared secret on node:crypto. */
export function nativeX25519(secretKey: KeyObject | Uint8Array, publicKey: Uint8Array): Uint8Array {
  const privateKey = secretKey instanceof Uint8Array ? x25519PrivateKeyObject(secretKey) : secretKey;
  const pub = createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: "der", type: "spki" });
  return new Uint8Array(diffieHellman({ privateKey, publicKey: pub }));
}
