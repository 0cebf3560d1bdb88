import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { ed25519PkToX25519 } from "@session/crypto";
import type { SignatureVerifier } from "../../src/rpc/auth.ts";

/*
 * Real Ed25519 (node:crypto) for tests, so auth checks run against genuine signatures. The
 * Ed25519 → X25519 conversion is @session/crypto's (libsodium's birational map).
 */

export const ed25519ToX25519 = ed25519PkToX25519;

export interface TestKey {
  pub: Uint8Array;
  sign(msg: Uint8Array): Uint8Array;
}

export function newEd25519Key(): TestKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  return fromPrivate(privateKey);
}

function fromPrivate(privateKey: KeyObject): TestKey {
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  const pub = new Uint8Array(Buffer.from(jwk.x!, "base64url"));
  return { pub, sign: (msg) => new Uint8Array(sign(null, msg, privateKey)) };
}

export function ed25519KeyFromSeed(seed: Uint8Array): TestKey {
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  return fromPrivate(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
}

export const nodeVerifier: SignatureVerifier = {
  verify(signature, message, pubkey) {
    if (signature.length !== 64 || pubkey.length !== 32) return false;
    const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pubkey]);
    try {
      return verify(null, message, createPublicKey({ key: der, format: "der", type: "spki" }), signature);
    } catch {
      return false;
    }
  },
  ed25519PubkeyToX25519: ed25519ToX25519,
};
