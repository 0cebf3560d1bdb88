/*
 * The crypto limit of a request: the ops/s one core could do if the node did nothing but the
 * cryptography the request requires, measured on the very functions the node calls
 * (src/rpc/node-crypto.ts, src/onion/hop-cipher.ts). Figures are per CPU-second of this process,
 * so other load on a shared VM does not move them much; wall-clock rates are returned too.
 */

import { createRequire } from "node:module";
import {
  ed25519PkToX25519,
  keypairFromSeed,
  onionSealLayer,
  randomBytesArray,
  sodiumModulePath,
  toBase64,
  x25519Keypair,
} from "@session/crypto";
import type { EncType } from "@session/protocol";
import { storeResponseSignatureMessage, storeSignatureMessage } from "@session/protocol/rpc";
import { nodeHopCipher } from "../src/onion/hop-cipher.ts";
import { requestVerifier, resultSigner } from "../src/rpc/node-crypto.ts";

// The WASM build, loaded as the crypto thread loads it, for the "not taken" figures.
const sodium = createRequire(import.meta.url)(sodiumModulePath()) as {
  ready: Promise<void>;
  crypto_sign_detached(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
};
await sodium.ready;

export type LimitKind =
  | { op: "verify" }
  | { op: "sign" }
  | { op: "convert" }
  /** libsodium's WASM build, which the node no longer takes for these (src/rpc/node-crypto.ts). */
  | { op: "verify-wasm" }
  | { op: "sign-wasm" }
  | { op: "onion-open"; encType: EncType; bytes: number }
  | { op: "onion-seal"; encType: EncType; bytes: number };

export interface Rate {
  /** Operations per CPU-second of this process (all threads). */
  perCpuSecond: number;
  /** Operations per wall-clock second. */
  perWallSecond: number;
}

function measure(fn: () => void, ms: number): Rate {
  for (let i = 0; i < 200; i++) fn(); // warm the JIT
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perCpuSecond: n / ((cpu.user + cpu.system) / 1e6), perWallSecond: n / wall };
}

export function cryptoLimit(kind: LimitKind, ms: number): Rate {
  const account = keypairFromSeed(randomBytesArray(32));
  const node = keypairFromSeed(randomBytesArray(32));
  switch (kind.op) {
    case "verify": {
      // What a client signs for an authenticated store; a retrieve's message is the same size.
      const msg = storeSignatureMessage(1, Date.now());
      const sig = resultSigner(account.ed25519.secretKey)(msg);
      const sigBytes = Uint8Array.from(Buffer.from(sig, "base64"));
      return measure(() => {
        if (!requestVerifier.verify(sigBytes, msg, account.ed25519.publicKey)) throw new Error("verify");
      }, ms);
    }
    case "sign": {
      const signer = resultSigner(node.ed25519.secretKey);
      const msg = storeResponseSignatureMessage("x".repeat(43));
      return measure(() => signer(msg), ms);
    }
    case "verify-wasm": {
      const msg = storeSignatureMessage(1, Date.now());
      const sig = sodium.crypto_sign_detached(msg, account.ed25519.secretKey);
      return measure(() => {
        if (!sodium.crypto_sign_verify_detached(sig, msg, account.ed25519.publicKey))
          throw new Error("verify");
      }, ms);
    }
    case "sign-wasm": {
      const msg = storeResponseSignatureMessage("x".repeat(43));
      return measure(() => toBase64(sodium.crypto_sign_detached(msg, node.ed25519.secretKey)), ms);
    }
    case "convert":
      // The uncached conversion (a 05 account's pubkey_ed25519 → its X25519 Session ID key).
      return measure(() => ed25519PkToX25519(account.ed25519.publicKey), ms);
    case "onion-open": {
      const keys = x25519Keypair();
      const cipher = nodeHopCipher(keys);
      const layer = onionSealLayer(randomBytesArray(kind.bytes), keys.publicKey, kind.encType);
      return measure(() => cipher.open(kind.encType, layer.ciphertext, layer.ephemeralPublicKey), ms);
    }
    case "onion-seal": {
      const keys = x25519Keypair();
      const cipher = nodeHopCipher(keys);
      const layer = onionSealLayer(randomBytesArray(16), keys.publicKey, kind.encType);
      const opened = cipher.open(kind.encType, layer.ciphertext, layer.ephemeralPublicKey);
      const reply = randomBytesArray(kind.bytes);
      return measure(() => opened.seal(reply), ms);
    }
  }
}

/** Rate of doing all of `parts` once per request (harmonic combination of per-op rates). */
export function combined(parts: readonly number[]): number {
  return 1 / parts.reduce((s, r) => s + 1 / r, 0);
}
