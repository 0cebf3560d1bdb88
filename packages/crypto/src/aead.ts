import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";
import { concatBytes } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { native } from "./sodium.ts";

const TAG = 16;

// Nonces and IVs come from a pool of CSPRNG bytes filled 4 KiB at a time: node:crypto's
// randomFillSync costs ~3 µs a call whatever the size, a copy from the pool ~0.1 µs. Each byte
// is handed out once and wiped from the pool as it goes.
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let poolAt = POOL_BYTES;

/** Fills `out` (a nonce or IV, at most 64 bytes) with random bytes. */
function randomNonce(out: Uint8Array): void {
  if (poolAt + out.length > POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  out.set(pool.subarray(poolAt, poolAt + out.length));
  pool.fill(0, poolAt, poolAt + out.length);
  poolAt += out.length;
}

/** XChaCha20-Poly1305 (IETF): returns 24-byte random nonce ‖ ciphertext ‖ tag. */
export function xchachaEncrypt(key: Uint8Array, plaintext: Uint8Array, ad?: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new CryptoError("INVALID_KEY", "XChaCha20-Poly1305 key must be 32 bytes");
  const out = new Uint8Array(24 + plaintext.length + TAG);
  const nonce = out.subarray(0, 24);
  randomNonce(nonce);
  native.crypto_aead_xchacha20poly1305_ietf_encrypt(
    out.subarray(24),
    plaintext,
    ad ?? null,
    null,
    nonce,
    key,
  );
  return out;
}

/** Opens nonce ‖ ciphertext ‖ tag from `xchachaEncrypt`; DECRYPT_FAILED on any tampering. */
export function xchachaDecrypt(key: Uint8Array, data: Uint8Array, ad?: Uint8Array): Uint8Array {
  checkSealed(key, data);
  try {
    return openXchacha(key, data.subarray(24), data.subarray(0, 24), ad);
  } catch (cause) {
    throw new CryptoError("DECRYPT_FAILED", "ciphertext failed authentication", { cause });
  }
}

/**
 * Opens ciphertext ‖ tag ‖ 24-byte nonce, the nonce last as libsession lays out config messages
 * and blinded DMs; DECRYPT_FAILED with `failure` as its message when it does not authenticate.
 */
export function xchachaOpenNonceLast(key: Uint8Array, data: Uint8Array, failure: string): Uint8Array {
  try {
    checkSealed(key, data);
    return openXchacha(key, data.subarray(0, data.length - 24), data.subarray(data.length - 24));
  } catch (cause) {
    throw new CryptoError("DECRYPT_FAILED", failure, { cause });
  }
}

/** A 32-byte key, and room for a nonce and a tag in `data` (INVALID_KEY / DECRYPT_FAILED). */
function checkSealed(key: Uint8Array, data: Uint8Array): void {
  if (key.length !== 32) throw new CryptoError("INVALID_KEY", "XChaCha20-Poly1305 key must be 32 bytes");
  if (data.length < 24 + TAG) throw new CryptoError("DECRYPT_FAILED", "ciphertext is too short");
}

/** ciphertext ‖ tag → plaintext; throws when it does not authenticate. */
function openXchacha(key: Uint8Array, sealed: Uint8Array, nonce: Uint8Array, ad?: Uint8Array): Uint8Array {
  const plaintext = new Uint8Array(sealed.length - TAG);
  native.crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext, null, sealed, ad ?? null, nonce, key);
  return plaintext;
}

/** AES-256-GCM: returns 12-byte random IV ‖ ciphertext ‖ 16-byte tag. */
export function aesGcmEncrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new CryptoError("INVALID_KEY", "AES-256-GCM key must be 32 bytes");
  const iv = new Uint8Array(12);
  randomNonce(iv);
  const c = createCipheriv("aes-256-gcm", key, iv);
  return concatBytes(iv, c.update(plaintext), c.final(), c.getAuthTag());
}

export function aesGcmDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new CryptoError("INVALID_KEY", "AES-256-GCM key must be 32 bytes");
  if (data.length < 12 + TAG) throw new CryptoError("DECRYPT_FAILED", "ciphertext is too short");
  try {
    const d = createDecipheriv("aes-256-gcm", key, data.subarray(0, 12));
    d.setAuthTag(data.subarray(data.length - TAG));
    return concatBytes(d.update(data.subarray(12, data.length - TAG)), d.final());
  } catch (cause) {
    throw new CryptoError("DECRYPT_FAILED", "ciphertext failed authentication", { cause });
  }
}
