import { keccak_256 } from "@noble/hashes/sha3.js";
import { xchachaDecrypt, xchachaEncrypt } from "./aead.ts";
import { toHex, utf8Encode } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b } from "./hash.ts";
import { parseSessionId, SessionIdPrefix } from "./session-id.ts";

/*
 * Session Name Service names (contracts/SessionNameService.sol). On chain a name is only its hash
 * and an encrypted record, so the name itself is the secret that reads the record:
 *   name      = lower-cased, 1–63 of a–z 0–9 '-', not starting or ending with '-'
 *   nameHash  = keccak256(name)  (the contract can check it in `challengeLength`)
 *   key       = BLAKE2b-256(name, key = "SessionNameRecord")  (not derivable from nameHash)
 *   record    = nonce(24) ‖ XChaCha20-Poly1305(key, 33-byte Session ID, ad = nameHash)
 */

const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RECORD_KEY = utf8Encode("SessionNameRecord");

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

/** keccak256 of the normalized name: the on-chain token id. */
export function nameHash(name: string): Uint8Array {
  return keccak_256(utf8Encode(normalizeName(name)));
}

export function nameHashHex(name: string): string {
  return `0x${toHex(nameHash(name))}`;
}

function recordKey(name: string): Uint8Array {
  return blake2b(utf8Encode(normalizeName(name)), 32, RECORD_KEY);
}

/** Encrypts a 05 Session ID for the name's on-chain record. */
export function encryptNameRecord(name: string, sessionId: string): Uint8Array {
  const parsed = parseSessionId(sessionId);
  if (parsed.prefix !== SessionIdPrefix.Standard) {
    throw new CryptoError("INVALID_SESSION_ID", "a name must point to a 05 Session ID");
  }
  const plain = new Uint8Array(33);
  plain[0] = 0x05;
  plain.set(parsed.publicKey, 1);
  return xchachaEncrypt(recordKey(name), plain, nameHash(name));
}

/** Decrypts a name's record back to its Session ID; DECRYPT_FAILED for the wrong name or tampering. */
export function decryptNameRecord(name: string, record: Uint8Array): string {
  const plain = xchachaDecrypt(recordKey(name), record, nameHash(name));
  if (plain.length !== 33 || plain[0] !== 0x05)
    throw new CryptoError("DECRYPT_FAILED", "record is not a Session ID");
  return toHex(plain);
}
