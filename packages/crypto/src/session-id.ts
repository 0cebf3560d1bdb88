import { fromHex, toHex } from "./bytes.ts";
import { CryptoError } from "./errors.ts";

/** The one-byte prefixes a Session ID can carry. */
export const SessionIdPrefix = {
  /** Ordinary account: X25519 public key. */
  Standard: 0x05,
  /** Closed group: Ed25519 public key. */
  Group: 0x03,
  /** Community-blinded (older scheme): blinded Ed25519 key. */
  Blinded15: 0x15,
  /** Community-blinded (newer scheme): blinded Ed25519 key. */
  Blinded25: 0x25,
  /** Un-prefixed Ed25519 key (storage-server accounts addressed by Ed25519 key). */
  Unblinded: 0x00,
} as const;
export type SessionIdPrefix = (typeof SessionIdPrefix)[keyof typeof SessionIdPrefix];
type SessionIdPrefixName = keyof typeof SessionIdPrefix;

const NAMES = new Map<number, SessionIdPrefixName>(
  Object.entries(SessionIdPrefix).map(([name, value]) => [value, name as SessionIdPrefixName]),
);

interface ParsedSessionId {
  prefix: SessionIdPrefix;
  prefixName: SessionIdPrefixName;
  /** The 32-byte key after the prefix. */
  publicKey: Uint8Array;
}

/** "05" + lower-case hex of an X25519 public key. */
export function sessionIdFromX25519(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new CryptoError("INVALID_KEY", "X25519 public key must be 32 bytes");
  }
  return `05${toHex(publicKey)}`;
}

/** Parses a 66-hex-digit Session ID, checking its prefix; throws INVALID_SESSION_ID otherwise. */
export function parseSessionId(id: string): ParsedSessionId {
  if (typeof id !== "string") throw new CryptoError("INVALID_SESSION_ID", "Session ID must be a string");
  if (id.length !== 66) {
    throw new CryptoError(
      "INVALID_SESSION_ID",
      `Session ID must be 66 hex digits, got ${id.length} characters`,
    );
  }
  if (!/^[0-9a-fA-F]{66}$/.test(id)) throw new CryptoError("INVALID_SESSION_ID", "Session ID must be hex");
  const bytes = fromHex(id);
  const prefix = bytes[0]!;
  const prefixName = NAMES.get(prefix);
  if (prefixName === undefined) {
    throw new CryptoError(
      "INVALID_SESSION_ID",
      `unknown Session ID prefix ${id.slice(0, 2)} (expected 05, 03, 15, 25 or 00)`,
    );
  }
  return { prefix: prefix as SessionIdPrefix, prefixName, publicKey: bytes.slice(1) };
}

export function isSessionId(id: unknown, prefix?: SessionIdPrefix): boolean {
  if (typeof id !== "string") return false;
  try {
    const parsed = parseSessionId(id);
    return prefix === undefined || parsed.prefix === prefix;
  } catch {
    return false;
  }
}
