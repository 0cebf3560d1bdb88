import { encryptPushPayload, fromHex } from "@session/crypto";
import { type BencodeInput, bencode } from "@session/protocol";

/** Bodies above this are left out of the notification (spns notifiers MAX_MSG_SIZE). */
export const MAX_NOTIFY_BODY = 2500;

export interface NotifyMessage {
  pubkey: string;
  hash: string;
  namespace: number;
  timestamp: number;
  expiry: number;
  /** Message bytes, when the subscription wants data and the node sent them. */
  data?: Uint8Array;
}

/**
 * The plaintext notification payload of spns `encrypt_notify_payload`: bencoded
 * `[json(metadata), body]` when a body is included, else `[metadata]` (a bencoded dict — the
 * reference serialises the dict itself in that case). metadata: `@` account hex, `#` hash,
 * `n` namespace, `t` timestamp ms, `z` expiry ms, `l` body length, `B` body omitted as too big.
 */
export function notificationPlaintext(msg: NotifyMessage, maxBody = MAX_NOTIFY_BODY): Uint8Array {
  const meta: Record<string, string | number | boolean> = {
    "@": msg.pubkey,
    "#": msg.hash,
    n: msg.namespace,
    t: msg.timestamp,
    z: msg.expiry,
  };
  let body = msg.data && msg.data.length > 0 ? msg.data : undefined;
  if (body) {
    meta.l = body.length;
    if (maxBody >= 0 && body.length > maxBody) {
      meta.B = true;
      body = undefined;
    }
  }
  if (body) return bencode([JSON.stringify(meta), body]);
  // bencode has no booleans: python's bt_serialize writes True as the integer 1.
  const dict: Record<string, BencodeInput> = {};
  for (const [k, v] of Object.entries(meta)) dict[k] = typeof v === "boolean" ? (v ? 1 : 0) : v;
  return bencode([dict]);
}

/** Padded (to 256) and encrypted with the device's enc_key: nonce ‖ XChaCha20-Poly1305 ct. */
export function encryptNotification(encKeyHex: string, msg: NotifyMessage): Uint8Array {
  return encryptPushPayload(fromHex(encKeyHex), notificationPlaintext(msg));
}
