import { encryptPushPayload, fromHex } from "@session/crypto";
import { encodePushNotification, type PushMessage } from "@session/protocol";

/** A stored message as the watcher reports it (the plaintext format is @session/protocol's). */
export type NotifyMessage = PushMessage;

/** Padded (to 256) and encrypted with the device's enc_key: nonce ‖ XChaCha20-Poly1305 ct. */
export function encryptNotification(encKeyHex: string, msg: NotifyMessage): Uint8Array {
  return encryptPushPayload(fromHex(encKeyHex), encodePushNotification(msg));
}
