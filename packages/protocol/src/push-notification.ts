import { type BencodeInput, BencodeReader, type BencodeValue, bencode, isBencodeDict } from "./bencode.ts";
import { ProtocolError } from "./errors.ts";

/*
 * The plaintext of a push notification (session-push-notification-server `encrypt_notify_payload`,
 * spns/notifiers/util.py): bencoded `[json(metadata), body]` when the message body is included,
 * else `[metadata]` with metadata as a bencoded dict. Metadata keys: `@` account (hex), `#` message
 * hash, `n` namespace, `t` timestamp ms, `z` expiry ms, `l` body length (when the message had a
 * body), `B` the body was left out for being too big. The push server zero-pads this to a multiple
 * of 256 and encrypts it with the device's enc_key (@session/crypto `encryptPushPayload`).
 */

/** Bodies above this many bytes are left out of a notification (spns MAX_MSG_SIZE). */
export const PUSH_MAX_BODY = 2500;

/** A stored message as the push server learns of it. */
export interface PushMessage {
  /** Account (66 hex). */
  pubkey: string;
  hash: string;
  namespace: number;
  timestamp: number;
  expiry: number;
  /** Message bytes, when the subscription asked for data and the node sent them. */
  data?: Uint8Array;
}

/** What a device reads out of a notification. */
export interface PushNotificationContent {
  account: string;
  hash: string;
  namespace: number;
  timestamp?: number;
  expiry?: number;
  /** Length of the message body, when the message had one. */
  length?: number;
  /** True when the body was left out because it exceeded PUSH_MAX_BODY. */
  tooBig: boolean;
  /** The message body, when it was included. */
  body?: Uint8Array;
}

/** Encodes the notification plaintext for `msg` (before padding and encryption). */
export function encodePushNotification(msg: PushMessage, maxBody = PUSH_MAX_BODY): Uint8Array {
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

const bad = (why: string): never => {
  throw new ProtocolError("BENCODE_INVALID", `invalid push notification: ${why}`);
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a decrypted notification plaintext; trailing zero padding is allowed (and nothing else
 * after the value). Every malformed input is a ProtocolError("BENCODE_INVALID").
 */
export function decodePushNotification(plain: Uint8Array): PushNotificationContent {
  let value: BencodeValue;
  let reader: BencodeReader;
  try {
    reader = new BencodeReader(plain, 4);
    value = reader.readValue();
  } catch (err) {
    if (err instanceof ProtocolError)
      throw new ProtocolError("BENCODE_INVALID", `invalid push notification: ${err.message}`, undefined, {
        cause: err,
      });
    throw err;
  }
  for (let i = reader.pos; i < plain.length; i++) if (plain[i] !== 0) bad("data after the payload");
  if (!Array.isArray(value) || value.length < 1 || value.length > 2) bad("not a list of one or two items");
  const list = value as BencodeValue[];
  const head = list[0]!;
  let meta: Record<string, unknown>;
  let body: Uint8Array | undefined;
  if (head instanceof Uint8Array) {
    if (!(list[1] instanceof Uint8Array)) bad("JSON metadata without a body");
    try {
      meta = JSON.parse(utf8.decode(head)) as Record<string, unknown>;
    } catch {
      return bad("metadata is not JSON");
    }
    if (!meta || typeof meta !== "object" || Array.isArray(meta)) bad("metadata is not an object");
    body = list[1] as Uint8Array;
  } else {
    if (!isBencodeDict(head) || list.length !== 1) bad("metadata is not a dict");
    meta = {};
    for (const [k, v] of Object.entries(head as Record<string, BencodeValue>)) {
      if (v instanceof Uint8Array) {
        try {
          meta[k] = utf8.decode(v);
        } catch {
          bad(`metadata field ${k} is not text`);
        }
      } else meta[k] = v;
    }
  }
  const text = (k: string, re: RegExp) => {
    const v = meta[k];
    if (typeof v !== "string" || !re.test(v)) bad(`field ${k} missing or malformed`);
    return v as string;
  };
  const int = (k: string, required: boolean) => {
    const v = meta[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return bad(`field ${k} missing or not an integer`);
    return v;
  };
  const tooBig = meta.B === true || meta.B === 1;
  const length = int("l", false);
  if (body && length !== undefined && length !== body.length) bad("body length does not match l");
  const out: PushNotificationContent = {
    account: text("@", /^[0-9a-f]{66}$/),
    hash: text("#", /^[A-Za-z0-9+/_-]{1,128}={0,2}$/),
    namespace: int("n", true)!,
    tooBig,
  };
  const timestamp = int("t", false);
  const expiry = int("z", false);
  if (timestamp !== undefined) out.timestamp = timestamp;
  if (expiry !== undefined) out.expiry = expiry;
  if (length !== undefined) out.length = length;
  if (body) out.body = body;
  return out;
}
