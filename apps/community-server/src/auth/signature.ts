import { blake2b, concatBytes, fromBase64, fromHex, utf8Encode } from "@session/crypto";
import { SessionError } from "@session/errors";

/*
 * SOGS request signing (session-pysogs sogs/routes/auth.py). A signed request carries
 *   X-SOGS-Pubkey     66 hex (or base64 of 33 bytes): 00 ‖ Ed25519 key, or 15/25 ‖ blinded key
 *   X-SOGS-Nonce      16 bytes, hex (32) or base64 (22/24)
 *   X-SOGS-Timestamp  unix seconds, base 10
 *   X-SOGS-Signature  64 bytes, base64 (or hex)
 * and the signature covers SERVER_PK ‖ NONCE ‖ TIMESTAMP ‖ METHOD ‖ PATH[?QUERY] ‖ BLAKE2b-64(BODY),
 * the body hash only when the body is non-empty, PATH percent-decoded to UTF-8.
 */

export interface SignedHeaders {
  /** 33 bytes: prefix byte then the Ed25519 (blinded or not) key. */
  pubkey: Uint8Array;
  nonce: Uint8Array;
  /** The timestamp text exactly as sent (it is signed as text). */
  timestampText: string;
  timestamp: number;
  signature: Uint8Array;
}

/** Why headers could not be parsed; each maps to a 400 with this text. */
export class AuthHeaderError extends SessionError<"BAD_AUTH_HEADER"> {
  override readonly name = "AuthHeaderError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("BAD_AUTH_HEADER", message, options);
  }
}

/** Bytes from hex of exactly `size` bytes or base64 (padded or not) of `size` bytes. */
export function decodeHexOrBase64(value: string, size: number): Uint8Array {
  if (value.length === size * 2 && /^[0-9a-fA-F]+$/.test(value)) return fromHex(value);
  const unpadded = Math.ceil((size * 4) / 3);
  const padded = Math.ceil(size / 3) * 4;
  if ((value.length === unpadded || value.length === padded) && /^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    const bytes = fromBase64(value.replaceAll("-", "+").replaceAll("_", "/"));
    if (bytes.length === size) return bytes;
  }
  throw new AuthHeaderError("bad encoding");
}

export type HeaderGetter = (name: string) => string | undefined;

/** null when none of the four headers is present (an anonymous request). */
export function parseAuthHeaders(get: HeaderGetter): SignedHeaders | null {
  const values = ["Pubkey", "Nonce", "Timestamp", "Signature"].map((h) => get(`X-SOGS-${h}`));
  const missing = values.filter((v) => v === undefined || v === "").length;
  if (missing === 4) return null;
  if (missing > 0) {
    throw new AuthHeaderError(
      `Invalid authentication headers: missing ${missing}/4 required X-SOGS-* headers`,
    );
  }
  const [pk, nonce, ts, sig] = values as [string, string, string, string];
  let pubkey: Uint8Array;
  try {
    pubkey = decodeHexOrBase64(pk, 33);
  } catch (cause) {
    throw new AuthHeaderError("Invalid authentication: X-SOGS-Pubkey is not a valid 66-hex digit id", {
      cause,
    });
  }
  let nonceBytes: Uint8Array;
  try {
    nonceBytes = decodeHexOrBase64(nonce, 16);
  } catch (cause) {
    throw new AuthHeaderError(
      "Invalid authentication: X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)",
      { cause },
    );
  }
  let signature: Uint8Array;
  try {
    signature = decodeHexOrBase64(sig, 64);
  } catch (cause) {
    throw new AuthHeaderError("Invalid authentication: X-SOGS-Signature is not base64[88]", { cause });
  }
  if (!/^\d{1,15}$/.test(ts)) {
    throw new AuthHeaderError("Invalid authentication: X-SOGS-Timestamp is not a valid timestamp");
  }
  return { pubkey, nonce: nonceBytes, timestampText: ts, timestamp: Number(ts), signature };
}

/** The exact bytes a SOGS client signs for a request. */
export function signedMessage(parts: {
  serverPk: Uint8Array;
  nonce: Uint8Array;
  timestampText: string;
  method: string;
  /** Percent-decoded path, with `?query` appended when the query is non-empty. */
  pathAndQuery: string;
  body?: Uint8Array | undefined;
}): Uint8Array {
  const pieces = [
    parts.serverPk,
    parts.nonce,
    utf8Encode(parts.timestampText),
    utf8Encode(parts.method),
    utf8Encode(parts.pathAndQuery),
  ];
  if (parts.body && parts.body.length > 0) pieces.push(blake2b(parts.body, 64));
  return concatBytes(...pieces);
}

/**
 * SOGS's PATH for a request URL: the path percent-decoded (a client signs the raw UTF-8 path),
 * then `?` and the raw query string only when there is one.
 */
export function signedPathOf(url: string): string {
  const u = new URL(url);
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    path = u.pathname;
  }
  const query = u.search.startsWith("?") ? u.search.slice(1) : "";
  return query.length > 0 ? `${path}?${query}` : path;
}
