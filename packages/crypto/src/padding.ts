import { CryptoError } from "./errors.ts";

/*
 * Session pads protobuf content before encryption so ciphertext length leaks only a bucket:
 * content ‖ 0x80 ‖ 0x00…, with total length one less than a multiple of 160 (the Signal
 * transport padding Session kept: getPaddedMessageLength(len + 1) - 1).
 */
const BLOCK = 160;

/** Padded length for `length` bytes of content (see above). */
export function paddedMessageLength(length: number): number {
  const withTerminator = length + 2;
  return Math.ceil(withTerminator / BLOCK) * BLOCK - 1;
}

export function padMessage(content: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedMessageLength(content.length));
  out.set(content);
  out[content.length] = 0x80;
  return out;
}

/**
 * Strips content ‖ 0x80 ‖ 0x00… padding. Like Session clients, data whose last non-zero byte is
 * not 0x80 is accepted as unpadded; all-zero data is an error.
 */
export function unpadMessage(padded: Uint8Array): Uint8Array {
  for (let i = padded.length - 1; i >= 0; i--) {
    const b = padded[i]!;
    if (b === 0x80) return padded.slice(0, i);
    if (b !== 0x00) return padded.slice();
  }
  throw new CryptoError("INVALID_PADDING", "message padding has no 0x80 terminator");
}
