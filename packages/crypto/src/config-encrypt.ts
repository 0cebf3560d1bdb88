import { xchachaOpenNonceLast } from "./aead.ts";
import { concatBytes, utf8Encode } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b } from "./hash.ts";
import { sodium } from "./sodium.ts";

/*
 * libsession's config encryption (session-foundation/libsession-util src/config/encrypt.cpp),
 * shared by the user's own configs (key: the Ed25519 seed; domains "UserProfile", "Contacts",
 * "ConvoInfoVolatile", "UserGroups") and group configs (key: a group key; "groups::Info",
 * "groups::Members"): XChaCha20-Poly1305 with a key and nonce derived from the message itself,
 * nonce appended; configs are prefix-padded with zeros to size buckets first.
 */

const NONCE = 24;
const ABYTES = 16;
/** Bytes config encryption adds (tag + nonce). */
const CONFIG_ENCRYPT_OVERHEAD = ABYTES + NONCE;
const NONCE_KEY_PREFIX = "libsessionutil-config-encrypted-";

function u64be(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function configKey(keyBase: Uint8Array, size: number, domain: string): Uint8Array {
  if (keyBase.length !== 32) throw new CryptoError("INVALID_KEY", "config key must be 32 bytes");
  const d = utf8Encode(domain);
  if (d.length < 1 || d.length > 24)
    throw new CryptoError("INVALID_INPUT", "config domain must be 1..24 bytes");
  return blake2b(concatBytes(keyBase, u64be(size), d), 32);
}

/** libsession config::encrypt: ciphertext ‖ tag ‖ nonce, deterministic for a given input. */
export function configEncrypt(message: Uint8Array, keyBase: Uint8Array, domain: string): Uint8Array {
  const key = configKey(keyBase, message.length, domain);
  const nonce = blake2b(message, NONCE, utf8Encode(NONCE_KEY_PREFIX + domain));
  const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, null, null, nonce, key);
  return concatBytes(ct, nonce);
}

/** libsession config::decrypt; DECRYPT_FAILED for a wrong key, domain or tampered data. */
export function configDecrypt(ciphertext: Uint8Array, keyBase: Uint8Array, domain: string): Uint8Array {
  if (ciphertext.length < CONFIG_ENCRYPT_OVERHEAD)
    throw new CryptoError("DECRYPT_FAILED", "config ciphertext is too short");
  const len = ciphertext.length - CONFIG_ENCRYPT_OVERHEAD;
  const key = configKey(keyBase, len, domain);
  return xchachaOpenNonceLast(key, ciphertext, "config message decryption failed");
}

/** libsession config::padded_size: buckets of 256 B (<5 KiB), 1 KiB (<20), 2 KiB (<40), then 5 KiB. */
export function configPaddedSize(size: number, overhead = CONFIG_ENCRYPT_OVERHEAD): number {
  const s2 = size + overhead;
  const chunk = s2 < 5120 ? 256 : s2 < 20480 ? 1024 : s2 < 40960 ? 2048 : 5120;
  return Math.ceil(s2 / chunk) * chunk - overhead;
}

/** Prefix-pads with zero bytes (a bencoded config never starts with 0x00). */
export function padConfig(data: Uint8Array): Uint8Array {
  const target = configPaddedSize(data.length);
  if (target <= data.length) return data;
  const out = new Uint8Array(target);
  out.set(data, target - data.length);
  return out;
}

export function unpadConfig(data: Uint8Array): Uint8Array {
  let i = 0;
  while (i < data.length && data[i] === 0) i++;
  return data.subarray(i);
}
