import { createPrivateKey, createPublicKey } from "node:crypto";
import type { X25519Keys } from "@session/service-kit";

const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/** X25519 public key from a 32-byte secret (node:crypto; same result as libsodium's scalarmult_base). */
function fromSecret(secret: Uint8Array): X25519Keys {
  if (secret.length !== 32) throw new Error("X25519 secret key must be 32 bytes");
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, secret]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return { secretKey: new Uint8Array(secret), publicKey: new Uint8Array(spki.subarray(spki.length - 32)) };
}

export const x25519 = { fromSecret };
