import { ed25519PkToX25519, sign, toBase64, verify } from "@session/crypto";
import type { SignatureVerifier } from "@session/protocol/rpc";
import { RecentMap } from "@session/service-kit";

/*
 * The signature work of the storage RPC, in one place so the benchmark's crypto limit measures
 * the very functions the handler calls. Both run on native libsodium (@session/crypto's
 * sodium-native path): its checks (canonical S, no small-order keys) are the ones
 * oxen-storage-server applies, and it is 2–3× faster than the WASM build or node:crypto.
 */

/**
 * Ed25519 → X25519 public-key conversions, cached for the keys used lately (a 05 account's
 * `pubkey_ed25519` converts on every signed request; the map costs one field inversion per
 * request otherwise). Invalid keys are cached too, as null.
 */
export class KeyConversionCache {
  // The keys used lately (RecentMap): a busy account's key is a lookup, with no re-insertion (and
  // no garbage in the old generation) per request.
  private readonly entries: RecentMap<string, Uint8Array | null>;

  constructor(
    readonly maxEntries = 10_000,
    private readonly convert: (ed25519Pk: Uint8Array) => Uint8Array = ed25519PkToX25519,
  ) {
    this.entries = new RecentMap(maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The X25519 key for `ed25519Pk`, or null when it is not a valid point (or not 32 bytes). */
  x25519For(ed25519Pk: Uint8Array): Uint8Array | null {
    if (ed25519Pk.length !== 32) return null;
    const key = Buffer.from(ed25519Pk.buffer, ed25519Pk.byteOffset, 32).toString("latin1");
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    let x: Uint8Array | null;
    try {
      x = this.convert(ed25519Pk);
    } catch {
      x = null;
    }
    this.entries.set(key, x);
    return x;
  }
}

const conversions = new KeyConversionCache();

/** Checks client request signatures (verifyAuth). */
export const requestVerifier: SignatureVerifier = {
  verify: (sig, msg, pk) => verify(sig, msg, pk),
  ed25519PubkeyToX25519: (pk) => conversions.x25519For(pk),
};

/** Signs this node's swarm results (store, delete, expire replies) with its Ed25519 key (base64). */
export function resultSigner(secretKey: Uint8Array): (msg: Uint8Array) => string {
  return (msg) => toBase64(sign(msg, secretKey));
}
