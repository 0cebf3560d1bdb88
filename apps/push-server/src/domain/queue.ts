import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Notifier, PushNotification, SendOutcome } from "../notifiers/types.ts";

export interface QueueOptions {
  notifiers: ReadonlyMap<string, Notifier>;
  /** Called when a provider reports a token invalid. */
  onInvalidToken: (service: string, token: string) => Promise<void>;
  logger: Logger;
  registry: Registry;
  /** Most notifications held at once; more are dropped (counted). Default 100 000. */
  maxSize?: number;
  /** Deliveries in flight at once. Default 8. */
  concurrency?: number;
  /** Backoff after a failed attempt: min(maxBackoffMs, baseBackoffMs · 2^attempts). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Item {
  n: PushNotification;
  attempts: number;
  readyAt: number;
}

/**
 * Bounded in-memory delivery queue. A temporary failure keeps the notification and retries it
 * with capped exponential backoff for as long as the process runs, so a provider outage loses
 * nothing already queued; only a full queue drops (new items), and a restart loses what is held.
 */
export class NotificationQueue {
  private readonly items: Item[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly maxSize: number;
  private readonly concurrency: number;
  private readonly base: number;
  private readonly cap: number;
  private readonly sent: Counter;
  private readonly failed: Counter;
  private readonly dropped: Counter;
  private readonly invalid: Counter;
  private readonly depth: Gauge;

  constructor(private readonly opts: QueueOptions) {
    this.maxSize = opts.maxSize ?? 100_000;
    this.concurrency = opts.concurrency ?? 8;
    this.base = opts.baseBackoffMs ?? 500;
    this.cap = opts.maxBackoffMs ?? 60_000;
    const r = [opts.registry];
    this.sent = new Counter({
      name: "push_notifications_sent_total",
      help: "Delivered",
      labelNames: ["service"],
      registers: r,
    });
    this.failed = new Counter({
      name: "push_notification_attempts_failed_total",
      help: "Attempts that will be retried",
      labelNames: ["service"],
      registers: r,
    });
    this.dropped = new Counter({
      name: "push_notifications_dropped_total",
      help: "Dropped: queue full",
      registers: r,
    });
    this.invalid = new Counter({
      name: "push_invalid_tokens_total",
      help: "Tokens the provider reported invalid",
      labelNames: ["service"],
      registers: r,
    });
    this.depth = new Gauge({
      name: "push_queue_depth",
      help: "Notifications waiting or in flight",
      registers: r,
      collect: () => this.depth.set(this.items.length + this.inFlight),
    });
  }

  get size(): number {
    return this.items.length + this.inFlight;
  }

  /** False when the queue is full and the notification was dropped. */
  enqueue(n: PushNotification): boolean {
    if (this.stopped) return false;
    if (this.size >= this.maxSize) {
      this.dropped.inc();
      this.opts.logger.warn({ service: n.service }, "notification queue full: dropped");
      return false;
    }
    this.items.push({ n, attempts: 0, readyAt: 0 });
    this.pump();
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    while (this.inFlight < this.concurrency) {
      const i = this.items.findIndex((it) => it.readyAt <= now);
      if (i < 0) break;
      const [item] = this.items.splice(i, 1);
      if (item) void this.deliver(item);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.items.length === 0 || this.inFlight >= this.concurrency) return;
    const next = Math.min(...this.items.map((it) => it.readyAt));
    this.timer = setTimeout(() => this.pump(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private async deliver(item: Item): Promise<void> {
    this.inFlight++;
    const { n } = item;
    try {
      const notifier = this.opts.notifiers.get(n.service);
      const out: SendOutcome = notifier
        ? await notifier
            .send(n)
            .catch((err: unknown): SendOutcome => ({ kind: "retry", reason: String(err) }))
        : { kind: "retry", reason: `no notifier for ${n.service}` };
      if (out.kind === "sent") this.sent.inc({ service: n.service });
      else if (out.kind === "invalid_token") {
        this.invalid.inc({ service: n.service });
        this.opts.logger.info(
          { service: n.service, reason: out.reason },
          "provider rejected token: removing it",
        );
        await this.opts.onInvalidToken(n.service, n.token).catch((err: unknown) => {
          this.opts.logger.error({ err }, "could not remove invalid token");
        });
      } else {
        this.failed.inc({ service: n.service });
        item.attempts++;
        const backoff = Math.min(this.cap, this.base * 2 ** Math.min(item.attempts - 1, 30));
        item.readyAt = Date.now() + Math.max(backoff, out.retryAfterMs ?? 0);
        this.opts.logger.warn(
          { service: n.service, reason: out.reason, attempts: item.attempts },
          "delivery failed: will retry",
        );
        if (!this.stopped) this.items.push(item);
      }
    } finally {
      this.inFlight--;
      this.pump();
    }
  }
}
