export interface PushNotification {
  service: string;
  token: string;
  /** Encrypted payload (nonce ‖ ciphertext). */
  encPayload: Uint8Array;
}

export interface Notifier {
  readonly service: string;
  /**
   * Resolves once the provider took the notification; rejects with a DeliveryError saying why not
   * (its `retryable` decides between a retry and dropping the token).
   */
  send(n: PushNotification): Promise<void>;
  /** Releases connections (called once on shutdown). */
  close?(): Promise<void> | void;
}
