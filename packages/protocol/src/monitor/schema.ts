import { utf8Encode } from "@session/crypto";
import { z } from "zod";

/*
 * Wire shapes of the monitor API (our HTTP replacement for oxen-storage-server's OxenMQ
 * `monitor.messages` / `notify.message`, server/mqbase.cpp and snode/service_node.cpp).
 * The node serves them (apps/node/src/monitor), the push server consumes them. Field names follow
 * the push server's own subscription request (session-push-notification-server
 * spns/hive/subscription.cpp), the signed string and its rules follow oxenss exactly. Documented
 * in packages/protocol/docs/monitor.md.
 */

export const MONITOR_STREAM_PATH = "/monitor/v1/stream";
export const MONITOR_SUBSCRIBE_PATH = "/monitor/v1/subscribe";

/** A subscription lapses this long after it was last (re)sent (oxenss MONITOR_EXPIRY_TIME). */
export const MONITOR_EXPIRY_MS = 65 * 60 * 1000;
/** Signature timestamps may be this old (oxenss: 14 days)… */
export const MONITOR_SIG_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
/** …or this far in the future (oxenss: 24 hours). */
export const MONITOR_SIG_MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
/** Subscriptions one request may carry. */
export const MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST = 1000;

/** Per-subscription error codes, the values oxenss sends as `errcode` (server/utils.h). */
export const MonitorErrorCode = {
  BAD_ARGS: 1,
  BAD_PUBKEY: 2,
  BAD_NS: 3,
  BAD_TS: 4,
  BAD_SIG: 5,
  WRONG_SWARM: 6,
} as const;
export type MonitorErrorCode = (typeof MonitorErrorCode)[keyof typeof MonitorErrorCode];

const hex = (n: number) => new RegExp(`^[0-9a-fA-F]{${n}}$`);
const base64Or = (bytes: number, what: string) =>
  z
    .string()
    .refine(
      (s) =>
        hex(bytes * 2).test(s) ||
        (/^[A-Za-z0-9+/]+={0,2}$/.test(s) && Math.floor((s.replace(/=+$/, "").length * 3) / 4) === bytes),
      `${what} must be ${bytes} bytes, hex or base64`,
    );

/**
 * One account subscription. `signature` is the Ed25519 signature (by the account key, the
 * Session ID's Ed25519 key, or the subaccount key) over
 * `"MONITOR" ‖ pubkey (hex) ‖ sig_ts ‖ ("1" | "0") ‖ namespaces joined by ","`.
 */
export const monitorSubscriptionSchema = z.object({
  /** 66 hex: network prefix + key (05 = Session ID, 03 = group, …). */
  pubkey: z.string().regex(hex(66), "pubkey must be 66 hex digits"),
  /** For 05 Session IDs: the Ed25519 key whose X25519 form is the ID (oxenss `P`). */
  session_ed25519: z.string().regex(hex(64), "session_ed25519 must be 64 hex digits").optional(),
  /** 36-byte subaccount token (oxenss `T`), hex or base64; needs `subaccount_sig`. */
  subaccount: base64Or(36, "subaccount").optional(),
  /** Account key's signature of the token (oxenss `S`), hex or base64. */
  subaccount_sig: base64Or(64, "subaccount_sig").optional(),
  /** Strictly ascending int16 namespaces (oxenss `n`). */
  namespaces: z.array(z.number().int().min(-32768).max(32767)).min(1).max(64),
  /** Include message data in notifications (oxenss `d`). */
  data: z.boolean().default(false),
  /** Signature timestamp, unix SECONDS (oxenss `t`). */
  sig_ts: z.number().int().nonnegative(),
  /** 64-byte Ed25519 signature (oxenss `s`), hex or base64. */
  signature: base64Or(64, "signature"),
});
export type MonitorSubscription = z.output<typeof monitorSubscriptionSchema>;
export type MonitorSubscriptionJson = z.input<typeof monitorSubscriptionSchema>;

/** POST MONITOR_STREAM_PATH body: open a notification stream with these subscriptions. */
export const monitorStreamRequestSchema = z.object({
  // At least one, and the node opens the stream only if one of them checks out.
  subscriptions: z.array(z.unknown()).min(1).max(MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST),
});
/** POST MONITOR_SUBSCRIBE_PATH body: add or renew subscriptions on an open stream. */
export const monitorSubscribeRequestSchema = z.object({
  stream: z.string().regex(hex(32), "stream must be the id from the stream's `subscribed` event"),
  subscriptions: z.array(z.unknown()).min(1).max(MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST),
});

/** Result for each subscription, in request order (oxenss: `success: 1` or `errcode` + `error`). */
export const monitorSubscribeResultSchema = z.union([
  z.object({ success: z.literal(true) }),
  z.object({ errcode: z.number().int(), error: z.string() }),
]);
export type MonitorSubscribeResult = z.infer<typeof monitorSubscribeResultSchema>;

/** SSE `subscribed` event (first on a stream) and the JSON answer of MONITOR_SUBSCRIBE_PATH. */
export const monitorSubscribedEventSchema = z.object({
  stream: z.string(),
  results: z.array(monitorSubscribeResultSchema),
});
export type MonitorSubscribedEvent = z.infer<typeof monitorSubscribedEventSchema>;

/** SSE `message` event: a message was stored for a subscribed account (oxenss notify.message). */
export const monitorMessageEventSchema = z.object({
  /** 66-hex account id (oxenss `@`). */
  pubkey: z.string(),
  /** Message hash (oxenss `h`). */
  hash: z.string(),
  /** oxenss `n`. */
  namespace: z.number().int(),
  /** Store timestamp, ms (oxenss `t`). */
  timestamp: z.number().int(),
  /** Expiry, ms (oxenss `z`). */
  expiry: z.number().int(),
  /** Message bytes, base64, only for `data: true` subscriptions (oxenss `~`). */
  data: z.string().optional(),
});
export type MonitorMessageEvent = z.infer<typeof monitorMessageEventSchema>;

/** SSE `close` event, sent before the node ends a stream. */
export const monitorCloseEventSchema = z.object({
  reason: z.enum(["slow_consumer", "shutdown", "expired"]),
  message: z.string(),
});
export type MonitorCloseEvent = z.infer<typeof monitorCloseEventSchema>;

/** The bytes a monitor subscription signs (oxenss mqbase.cpp handle_monitor_message_single). */
export function monitorSignatureMessage(
  pubkeyHex: string,
  sigTsSeconds: number,
  wantData: boolean,
  namespaces: readonly number[],
): Uint8Array {
  return utf8Encode(
    `MONITOR${pubkeyHex.toLowerCase()}${sigTsSeconds}${wantData ? "1" : "0"}${namespaces.join(",")}`,
  );
}
