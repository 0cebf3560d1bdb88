import { fromHex, toHex } from "@session/crypto";
import { ProtocolError } from "./errors.ts";

/**
 * An account address on the storage network: one network/type byte followed by a 32-byte key,
 * written as 66 hex digits (oxenss/common/pubkey.h `user_pubkey`). 05 = Session ID (X25519),
 * 03 = group (Ed25519), 15/25 = blinded IDs.
 */
export interface UserPubkey {
  /** The type byte (0-255), e.g. 5 for a Session ID. */
  readonly type: number;
  /** The 32 key bytes, without the type byte. */
  readonly key: Uint8Array;
  /** Lower-case 66-hex-digit form including the type byte. */
  readonly hex: string;
}

export const USER_PUBKEY_SIZE_BYTES = 33;
export const USER_PUBKEY_SIZE_HEX = 66;

const HEX66 = /^[0-9a-fA-F]{66}$/;

/** True for a 66-digit hex string (any type byte). */
export function isUserPubkeyHex(s: string): boolean {
  return HEX66.test(s);
}

/** Parses a 66-hex-digit account pubkey; throws ProtocolError("INVALID_PUBKEY"). */
export function parseUserPubkey(s: string): UserPubkey {
  if (!HEX66.test(s)) {
    throw new ProtocolError("INVALID_PUBKEY", "Pubkey must be 66 hex digits (33 bytes) long");
  }
  const bytes = fromHex(s);
  return { type: bytes[0]!, key: bytes.subarray(1), hex: s.toLowerCase() };
}

/** Builds a UserPubkey from a type byte and 32 key bytes. */
export function userPubkey(type: number, key: Uint8Array): UserPubkey {
  if (key.length !== 32 || !Number.isInteger(type) || type < 0 || type > 255) {
    throw new ProtocolError("INVALID_PUBKEY", "expected a type byte and 32 key bytes");
  }
  return { type, key: key.slice(), hex: type.toString(16).padStart(2, "0") + toHex(key) };
}

/** The 33 raw bytes (type byte ‖ key). */
export function userPubkeyBytes(pk: UserPubkey): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = pk.type;
  out.set(pk.key, 1);
  return out;
}
