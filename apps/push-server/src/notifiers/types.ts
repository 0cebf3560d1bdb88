/** What a provider said about one delivery. */
export type SendOutcome =
  | { kind: "sent" }
  /** The token is gone (app uninstalled, token rotated): drop its subscriptions. */
  | { kind: "invalid_token"; reason: string }
  /** Temporary: try again later (provider down, throttled, 5xx). */
  | { kind: "retry"; reason: string; retryAfterMs?: number };

export interface PushNotification {
  service: string;
  token: string;
  /** Encrypted payload (nonce ‖ ciphertext). */
  encPayload: Uint8Array;
}

export interface Notifier {
  readonly service: string;
  send(n: PushNotification): Promise<SendOutcome>;
  /** Releases connections (called once on shutdown). */
  close?(): Promise<void> | void;
}
