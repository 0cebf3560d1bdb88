import { CryptoError } from "./errors.ts";

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Bytes of a hex string; throws `CryptoError("INVALID_HEX")` on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  if (!HEX_RE.test(hex)) throw new CryptoError("INVALID_HEX", "not a valid hex string");
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** Standard base64 (with padding). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const B64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Bytes of standard or URL-safe base64, padded or not; throws `CryptoError("INVALID_BASE64")`. */
export function fromBase64(b64: string): Uint8Array {
  if (!B64_RE.test(b64) || b64.length % 4 === 1) throw new CryptoError("INVALID_BASE64", "not valid base64");
  return decodeCheckedBase64(b64);
}

/**
 * Bytes of base64 the caller has already checked (a schema that validated the string): decoded in
 * one pass into an array of its own — no second scan of the text, and no copy out of Node's shared
 * Buffer pool. Characters outside the alphabet would be skipped, not refused: check first.
 */
export function decodeCheckedBase64(b64: string): Uint8Array {
  const out = new Uint8Array(Buffer.byteLength(b64, "base64"));
  const written = Buffer.from(out.buffer, 0, out.length).write(b64, "base64");
  return written === out.length ? out : out.slice(0, written);
}

// One of each: they hold no state between calls.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time comparison for equal-length inputs (length itself is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
