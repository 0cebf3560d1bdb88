import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import type { SignatureVerifier } from "../../src/rpc/auth.ts";

/*
 * Real Ed25519 (node:crypto) for tests, so auth checks run against genuine signatures.
 * The Ed25519 → X25519 conversion is the birational map u = (1 + y) / (1 - y) mod p.
 */

const P = (1n << 255n) - 19n;

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = b % m;
  let k = e;
  while (k > 0n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
    k >>= 1n;
  }
  return r;
}

function leToBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function bigIntToLe(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = n;
  for (let i = 0; i < len; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function ed25519ToX25519(pk: Uint8Array): Uint8Array {
  const y = leToBigInt(pk) & ((1n << 255n) - 1n);
  const num = (1n + y) % P;
  const den = (1n - y + P) % P;
  return bigIntToLe((num * modPow(den, P - 2n, P)) % P, 32);
}

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
