import { xchachaDecrypt, xchachaEncrypt } from "./aead.ts";

/*
 * Push notification payloads (session-push-notification-server, notifiers/util.py): the
 * notifier encrypts the payload for the device with the subscriber's 32-byte enc_key using
 * XChaCha20-Poly1305; the result is nonce(24) ‖ ciphertext ‖ tag. The payload is zero-padded to a
 * multiple of 256 bytes first, so its length reveals only a bucket.
 */

const PUSH_PAYLOAD_PAD = 256;

/** Zero-pads `payload` to a multiple of 256 bytes (no-op when already aligned). */
export function padPushPayload(payload: Uint8Array): Uint8Array {
  const over = payload.length % PUSH_PAYLOAD_PAD;
  if (over === 0) return payload;
  const out = new Uint8Array(payload.length + PUSH_PAYLOAD_PAD - over);
  out.set(payload);
  return out;
}

/** Pads (see above) and encrypts a notification payload with the subscriber's enc_key. */
export function encryptPushPayload(encKey: Uint8Array, payload: Uint8Array): Uint8Array {
  return xchachaEncrypt(encKey, padPushPayload(payload));
}

/** Decrypts a notification payload; the result still carries its zero padding. */
export function decryptPushPayload(encKey: Uint8Array, data: Uint8Array): Uint8Array {
  return xchachaDecrypt(encKey, data);
}
