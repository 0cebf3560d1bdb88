import { xchachaDecrypt } from "./aead.ts";
import { concatBytes, toBase64, toHex, utf8Encode } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b } from "./hash.ts";
import { parseSessionId, SessionIdPrefix } from "./session-id.ts";
import { sodium } from "./sodium.ts";

/*
 * Session names, readable by real Session clients (libsession-util `decrypt_ons_response`,
 * session-desktop `onsResolve.ts`):
 *   name            = lower-cased, 1–63 of a–z 0–9 '-', not starting or ending with '-'
 *   nameHash        = BLAKE2b-256(name)            (clients send base64 of it in `ons_resolve`;
 *                                                   the on-chain token id; checked on-chain with
 *                                                   the BLAKE2 F precompile in `challengeLength`)
 *   key             = BLAKE2b-256(name, key = nameHash)
 *   encrypted_value = XChaCha20-Poly1305(key, nonce, 33-byte Session ID), no associated data (49 bytes)
 *   on-chain record = encrypted_value (49) ‖ nonce (24)
 * Clients that know the name derive the key; the chain and the nodes see only the hash.
 */

const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ENCRYPTED_VALUE_BYTES = 33 + 16;
const NAME_NONCE_BYTES = 24;
export const NAME_RECORD_BYTES = ENCRYPTED_VALUE_BYTES + NAME_NONCE_BYTES;

/** Lower-cases and validates a name; throws INVALID_NAME with the rule it breaks. */
export function normalizeName(name: string): string {
  if (typeof name !== "string") throw new CryptoError("INVALID_NAME", "name must be a string");
  const n = name.trim().toLowerCase();
  if (n.length < 1 || n.length > 63) throw new CryptoError("INVALID_NAME", "name must be 1 to 63 characters");
  if (!NAME_RE.test(n)) {
    throw new CryptoError("INVALID_NAME", "name may use a-z, 0-9 and '-' (not first or last)");
  }
  return n;
}

/** BLAKE2b-256 of the normalized name: what `ons_resolve` looks up and the on-chain token id. */
export function nameHash(name: string): Uint8Array {
  return blake2b(utf8Encode(normalizeName(name)), 32);
}

export function nameHashHex(name: string): string {
  return `0x${toHex(nameHash(name))}`;
}

/** The `name_hash` parameter of an `ons_resolve` request. */
export function nameHashBase64(name: string): string {
  return toBase64(nameHash(name));
}

function nameKey(lowercaseName: string): Uint8Array {
  const bytes = utf8Encode(lowercaseName);
  return blake2b(bytes, 32, blake2b(bytes, 32));
}

/** Encrypts a 05 Session ID for a name: `{ encryptedValue (49 bytes), nonce (24 bytes) }`. */
export function encryptOnsValue(name: string, sessionId: string, nonce?: Uint8Array) {
  const parsed = parseSessionId(sessionId);
  if (parsed.prefix !== SessionIdPrefix.Standard) {
    throw new CryptoError("INVALID_SESSION_ID", "a name must point to a 05 Session ID");
  }
  const n = nonce ?? sodium.randombytes_buf(NAME_NONCE_BYTES);
  if (n.length !== NAME_NONCE_BYTES) throw new CryptoError("INVALID_INPUT", "nonce must be 24 bytes");
  const plain = concatBytes(new Uint8Array([0x05]), parsed.publicKey);
  const encryptedValue = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plain,
    null,
    null,
    n,
    nameKey(normalizeName(name)),
  );
  return { encryptedValue, nonce: n };
}

/**
 * libsession's `decrypt_ons_response` (XChaCha20 form): the lower-cased name, the answer's
 * `encrypted_value` and `nonce` → the Session ID (hex). DECRYPT_FAILED for a wrong name, a wrong
 * size or tampering. (The pre-2022 Argon2 form without a nonce is not produced by this network.)
 */
export function decryptOnsResponse(
  lowercaseName: string,
  encryptedValue: Uint8Array,
  nonce: Uint8Array,
): string {
  if (nonce.length !== NAME_NONCE_BYTES) throw new CryptoError("DECRYPT_FAILED", "nonce must be 24 bytes");
  if (encryptedValue.length !== ENCRYPTED_VALUE_BYTES)
    throw new CryptoError("DECRYPT_FAILED", "encrypted value must be 49 bytes");
  const key = nameKey(lowercaseName);
  const plain = xchachaDecrypt(key, concatBytes(nonce, encryptedValue));
  return toHex(plain);
}

/** The on-chain record for a name: encrypted_value ‖ nonce (73 bytes). */
export function encryptNameRecord(name: string, sessionId: string): Uint8Array {
  const { encryptedValue, nonce } = encryptOnsValue(name, sessionId);
  return concatBytes(encryptedValue, nonce);
}

/** Splits an on-chain record into the `ons_resolve` answer fields. */
export function splitNameRecord(record: Uint8Array): { encryptedValue: Uint8Array; nonce: Uint8Array } {
  if (record.length !== NAME_RECORD_BYTES) throw new CryptoError("DECRYPT_FAILED", "record must be 73 bytes");
  return {
    encryptedValue: record.subarray(0, ENCRYPTED_VALUE_BYTES),
    nonce: record.subarray(ENCRYPTED_VALUE_BYTES),
  };
}

/** Decrypts a name's on-chain record back to its Session ID; DECRYPT_FAILED for the wrong name or tampering. */
export function decryptNameRecord(name: string, record: Uint8Array): string {
  const { encryptedValue, nonce } = splitNameRecord(record);
  const id = decryptOnsResponse(normalizeName(name), encryptedValue, nonce);
  if (!id.startsWith("05")) throw new CryptoError("DECRYPT_FAILED", "record is not a Session ID");
  return id;
}
