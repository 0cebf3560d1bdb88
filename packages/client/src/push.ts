import {
  CryptoError,
  decryptPushPayload,
  fromBase64,
  sign,
  toBase64,
  toHex,
  utf8Encode,
} from "@session/crypto";
import { decodePushNotification, ProtocolError, type PushNotificationContent } from "@session/protocol";
import { ClientError } from "./errors.ts";
import type { Identity } from "./identity.ts";
import type { OnionTransport, ServerTarget } from "./network/transport.ts";

export interface PushServerConfig {
  url: string;
  /** The push server's X25519 public key (hex): the onion destination key. */
  x25519: string;
}

export interface PushRegistration {
  service: "firebase" | "apns";
  /** The device token the provider issued. */
  token: string;
  /** Namespaces to be notified about (ascending); default the 1:1 inbox. */
  namespaces?: number[];
  /** Include message bodies (≤ 2500 bytes) in the encrypted payload. */
  data?: boolean;
  /** 32-byte key the notifications are encrypted with (open them with `openPushNotification`). */
  encKey: Uint8Array;
}

/**
 * Opens a notification the push server sent this device (the provider's `enc_payload`, base64
 * or bytes) with the registration's `encKey`: account, message hash, namespace, timestamps, and
 * the message body when it was included. A payload that does not decrypt or decode is a
 * ClientError("BAD_NOTIFICATION").
 *
 * @example
 * ```ts
 * import { openPushNotification } from "@session/client";
 *
 * const encKey = crypto.getRandomValues(new Uint8Array(32));
 * await client.push.register({ service: "firebase", token: deviceToken, encKey });
 * // later, in the provider's delivery callback:
 * const n = openPushNotification(encPayload, encKey);
 * console.log(n.account, n.hash, n.namespace);
 * ```
 */
export function openPushNotification(
  encPayload: Uint8Array | string,
  encKey: Uint8Array,
): PushNotificationContent {
  try {
    const bytes = typeof encPayload === "string" ? fromBase64(encPayload) : encPayload;
    return decodePushNotification(decryptPushPayload(encKey, bytes));
  } catch (err) {
    if (err instanceof CryptoError || err instanceof ProtocolError)
      throw new ClientError("BAD_NOTIFICATION", `cannot open push notification: ${err.message}`, undefined, {
        cause: err,
      });
    throw err;
  }
}

/**
 * Push registration through an onion path to the push server (`POST /subscribe`), signed as the
 * push server expects: Ed25519 over "MONITOR" ‖ account hex ‖ sig_ts ‖ "1"/"0" ‖ namespaces.
 */
export class Push {
  constructor(
    private readonly transport: OnionTransport,
    private readonly identity: Identity,
    private readonly server: PushServerConfig | undefined,
  ) {}

  /**
   * Subscribes this device with the push server for the account's messages (`POST /subscribe`,
   * signed by the account). REQUEST_FAILED when the server refuses; NETWORK_UNAVAILABLE without a
   * `pushServer`.
   *
   * @example
   * ```ts
   * const encKey = crypto.getRandomValues(new Uint8Array(32)); // keep it: it opens the notifications
   * const { added } = await client.push.register({ service: "apns", token: deviceToken, encKey, data: true });
   * ```
   */
  async register(r: PushRegistration): Promise<{ success: boolean; added?: boolean; updated?: boolean }> {
    const namespaces = [...(r.namespaces ?? [0])].sort((a, b) => a - b);
    const sigTs = Math.floor(Date.now() / 1000);
    const pubkey = this.identity.sessionId;
    const signed = `MONITOR${pubkey}${sigTs}${r.data ? "1" : "0"}${namespaces.join(",")}`;
    return this.post("/subscribe", "registration", {
      pubkey,
      session_ed25519: toHex(this.identity.keys.ed25519.publicKey),
      namespaces,
      data: r.data ?? false,
      sig_ts: sigTs,
      signature: this.signB64(signed),
      service: r.service,
      service_info: { token: r.token },
      enc_key: toHex(r.encKey),
    });
  }

  /**
   * Removes this device's subscription (`POST /unsubscribe`, signed "UNSUBSCRIBE" ‖ account hex ‖
   * sig_ts). `removed` is false when the push server had no such subscription.
   *
   * @example
   * ```ts
   * const { removed } = await client.push.unregister({ service: "apns", token: deviceToken });
   * ```
   */
  async unregister(r: {
    service: "firebase" | "apns";
    token: string;
  }): Promise<{ success: boolean; removed: boolean }> {
    const sigTs = Math.floor(Date.now() / 1000);
    const pubkey = this.identity.sessionId;
    return this.post("/unsubscribe", "unregistration", {
      pubkey,
      session_ed25519: toHex(this.identity.keys.ed25519.publicKey),
      sig_ts: sigTs,
      signature: this.signB64(`UNSUBSCRIBE${pubkey}${sigTs}`),
      service: r.service,
      service_info: { token: r.token },
    }) as Promise<{ success: boolean; removed: boolean }>;
  }

  /**
   * Registers a subscription body signed by someone other than this identity (a closed group's
   * key or a member's group subaccount: see Group.pushSubscription).
   *
   * @example
   * ```ts
   * const group = groups.get(groupId);
   * const encKey = crypto.getRandomValues(new Uint8Array(32));
   * await client.push.subscribe(group.pushSubscription({ service: "firebase", token: deviceToken, encKey }));
   * ```
   */
  async subscribe(
    body: Record<string, unknown>,
  ): Promise<{ success: boolean; added?: boolean; updated?: boolean }> {
    return this.post("/subscribe", "registration", body);
  }

  private signB64(text: string): string {
    return toBase64(sign(utf8Encode(text), this.identity.keys.ed25519.secretKey));
  }

  private async post(endpoint: string, what: string, body: unknown) {
    if (!this.server) throw new ClientError("NETWORK_UNAVAILABLE", "no push server configured");
    const u = new URL(this.server.url);
    const protocol = u.protocol === "http:" ? "http" : "https";
    const target: ServerTarget = {
      host: u.hostname,
      port: Number(u.port || (protocol === "http" ? 80 : 443)),
      protocol,
      x25519: this.server.x25519,
    };
    const res = await this.transport.serverRequest(
      target,
      { method: "POST", endpoint, headers: { "Content-Type": "application/json" } },
      utf8Encode(JSON.stringify(body)),
    );
    let parsed: { success?: boolean; error?: number; message?: string };
    try {
      parsed = JSON.parse(new TextDecoder().decode(res.body));
    } catch {
      parsed = {};
    }
    if (res.code !== 200 || !parsed.success) {
      throw new ClientError(
        "REQUEST_FAILED",
        `push ${what} refused: ${parsed.message ?? res.code}`,
        res.code,
      );
    }
    return parsed as { success: boolean; added?: boolean; updated?: boolean; removed?: boolean };
  }
}
