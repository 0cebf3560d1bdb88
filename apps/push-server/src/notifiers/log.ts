import type { Logger } from "pino";
import type { Notifier, PushNotification } from "./types.ts";

/** Logs notifications instead of delivering them (devnet, local runs). */
export class LogNotifier implements Notifier {
  readonly sent: PushNotification[] = [];

  constructor(
    readonly service: string,
    private readonly logger: Logger,
    private readonly keep = 0,
  ) {}

  async send(n: PushNotification): Promise<void> {
    this.logger.info({ service: n.service, bytes: n.encPayload.length }, "push notification (log notifier)");
    if (this.keep > 0) {
      this.sent.push(n);
      if (this.sent.length > this.keep) this.sent.shift();
    }
  }
}
