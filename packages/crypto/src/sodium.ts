// libsodium (sumo build: it has the ed25519 point/scalar ops blinding needs) is WASM and must
// finish loading before any call. Top-level await makes every export of this package usable
// synchronously once imported.
import { createRequire } from "node:module";
import sodiumModule from "libsodium-wrappers-sumo";

await sodiumModule.ready;

export const sodium = sodiumModule;

/**
 * The same libsodium compiled natively (sodium-native's prebuilt addon), for the primitives a
 * server runs per request: Ed25519 sign/verify, X25519, BLAKE2b, XChaCha20-Poly1305. Same
 * library, same checks, same bytes as the WASM build; 2–5× faster for the curve operations (WASM
 * has no 64×64→128-bit multiply), measured in `bench/crypto.bench.ts`. The WASM build stays for
 * the sumo-only point and scalar operations the rest of this package uses.
 */
export const native = createRequire(import.meta.url)("sodium-native") as NativeSodium;

/** The part of sodium-native's API this package calls (outputs are written into the first argument). */
interface NativeSodium {
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** Throws where libsodium refuses the point (all-zero output). */
  crypto_scalarmult(shared: Uint8Array, secretKey: Uint8Array, publicKey: Uint8Array): void;
  /** `key` must be 16..64 bytes when given. */
  crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
    ciphertext: Uint8Array,
    message: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  /** Throws when the ciphertext does not authenticate. */
  crypto_aead_xchacha20poly1305_ietf_decrypt(
    message: Uint8Array,
    nsec: null,
    ciphertext: Uint8Array,
    ad: Uint8Array | null,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
}

/**
 * Where the libsodium module this package loads lives, for a worker thread that loads its own
 * copy (threads share no WASM instance): `require(sodiumModulePath())` there.
 */
export function sodiumModulePath(): string {
  return createRequire(import.meta.url).resolve("libsodium-wrappers-sumo");
}

/** Where the native libsodium binding lives, for a worker thread: `require(sodiumNativePath())`. */
export function sodiumNativePath(): string {
  return createRequire(import.meta.url).resolve("sodium-native");
}
