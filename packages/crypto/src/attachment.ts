import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { concatBytes, equalBytes } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { hmacSha256, sha256 } from "./hash.ts";

/*
 * Attachment encryption as Session clients do it (the Signal attachment scheme):
 *   key (64) = AES-256 key (32) ‖ HMAC-SHA256 key (32)
 *   data     = IV (16) ‖ AES-256-CBC(PKCS#7, padded plaintext) ‖ HMAC-SHA256(mac key, IV ‖ ct)
 *   digest   = SHA-256(data)
 * Before encryption the plaintext is zero-padded to a size bucket (max(541, ⌊1.05^⌈log₁.₀₅ n⌉⌋),
 * capped at the maximum attachment size) so sizes leak only coarsely; the real size travels in the
 * attachment pointer and the receiver truncates to it.
 */

/** The most bytes a file server stores for one attachment (the encrypted upload), as ours refuses above it. */
export const MAX_ATTACHMENT_UPLOAD_BYTES = 10_000_000;

/** Bytes uploaded for a padded plaintext of `padded` bytes: IV ‖ AES-CBC with PKCS#7 (1–16) ‖ MAC. */
export function encryptedAttachmentSize(padded: number): number {
  return 16 + (Math.floor(padded / 16) + 1) * 16 + 32;
}

/**
 * The largest plaintext that can be sent: the largest padded size whose encryption still fits in
 * MAX_ATTACHMENT_UPLOAD_BYTES (9 999 951 bytes). Padding is capped here, not at the upload limit,
 * so every plaintext up to this size uploads and anything larger is refused before encrypting.
 */
export const MAX_ATTACHMENT_SIZE = Math.floor((MAX_ATTACHMENT_UPLOAD_BYTES - 48) / 16) * 16 - 1;

export function paddedAttachmentSize(size: number): number {
  const bucket = Math.max(541, Math.floor(1.05 ** Math.ceil(Math.log(Math.max(size, 1)) / Math.log(1.05))));
  if (bucket > MAX_ATTACHMENT_SIZE && size <= MAX_ATTACHMENT_SIZE) return MAX_ATTACHMENT_SIZE;
  return Math.max(bucket, size);
}

function padAttachment(plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedAttachmentSize(plaintext.length));
  out.set(plaintext);
  return out;
}

interface EncryptedAttachment {
  /** IV ‖ ciphertext ‖ MAC: the bytes uploaded to the file server. */
  ciphertext: Uint8Array;
  /** 64-byte key (AES ‖ MAC) sent to the recipient in the attachment pointer. */
  key: Uint8Array;
  /** SHA-256 of `ciphertext`, sent in the pointer and checked on download. */
  digest: Uint8Array;
  /** Unpadded plaintext size, sent in the pointer. */
  size: number;
}

/** Pads and encrypts an attachment with a fresh (or given) 64-byte key. */
export function encryptAttachment(
  plaintext: Uint8Array,
  key: Uint8Array = new Uint8Array(randomBytes(64)),
  iv: Uint8Array = new Uint8Array(randomBytes(16)),
): EncryptedAttachment {
  if (key.length !== 64) throw new CryptoError("INVALID_KEY", "attachment key must be 64 bytes");
  if (iv.length !== 16) throw new CryptoError("INVALID_INPUT", "attachment IV must be 16 bytes");
  if (plaintext.length > MAX_ATTACHMENT_SIZE) {
    throw new CryptoError(
      "INVALID_INPUT",
      `attachment is ${plaintext.length} bytes; the limit is ${MAX_ATTACHMENT_SIZE} bytes`,
    );
  }
  const cipher = createCipheriv("aes-256-cbc", key.subarray(0, 32), iv);
  const ivAndCt = concatBytes(iv, cipher.update(padAttachment(plaintext)), cipher.final());
  const ciphertext = concatBytes(ivAndCt, hmacSha256(key.subarray(32), ivAndCt));
  return { ciphertext, key, digest: sha256(ciphertext), size: plaintext.length };
}

/**
 * Verifies (digest if given, then MAC) and decrypts an attachment; with `expectedSize` the
 * padding is cut off. Errors: DECRYPT_FAILED (bad MAC/digest/ciphertext), INVALID_KEY.
 */
export function decryptAttachment(
  data: Uint8Array,
  key: Uint8Array,
  expectedDigest?: Uint8Array,
  expectedSize?: number,
): Uint8Array {
  if (key.length !== 64) throw new CryptoError("INVALID_KEY", "attachment key must be 64 bytes");
  if (data.length < 16 + 16 + 32) throw new CryptoError("DECRYPT_FAILED", "attachment is too short");
  if (expectedDigest && !equalBytes(sha256(data), expectedDigest)) {
    throw new CryptoError("DECRYPT_FAILED", "attachment digest does not match");
  }
  const ivAndCt = data.subarray(0, data.length - 32);
  if (!equalBytes(hmacSha256(key.subarray(32), ivAndCt), data.subarray(data.length - 32))) {
    throw new CryptoError("DECRYPT_FAILED", "attachment MAC does not verify");
  }
  let plain: Uint8Array;
  try {
    const d = createDecipheriv("aes-256-cbc", key.subarray(0, 32), ivAndCt.subarray(0, 16));
    plain = concatBytes(d.update(ivAndCt.subarray(16)), d.final());
  } catch (cause) {
    throw new CryptoError("DECRYPT_FAILED", "attachment ciphertext is malformed", { cause });
  }
  if (expectedSize !== undefined) {
    if (expectedSize > plain.length)
      throw new CryptoError("DECRYPT_FAILED", "attachment is shorter than its size");
    return plain.slice(0, expectedSize);
  }
  return plain;
}
