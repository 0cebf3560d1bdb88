import { backoffMs, faultOf } from "@session/service-kit";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { PendingNotification, PendingStore } from "../db/pending.ts";
import type { Notifier, PushNotification } from "../notifiers/types.ts";
import { DeliveryError } from "./errors.ts";

export interface QueueOptions {
  /** Where notifications wait (the database, so a restart or an outage loses nothing). */
  store: PendingStore;
  notifiers: ReadonlyMap<string, Notifier>;
  /** Called when a provider reports a token invalid. */
  onInvalidToken: (service: string, token: string) => Promise<void>;
  logger: Logger;
  registry: Registry;
  /** Most notifications held at once; beyond it the oldest are dropped (counted). Default 100 000. */
  maxSize?: number;
  /** Deliveries in flight at once. Default 8. */
  concurrency?: number;
  /** Wait after the n-th failed attempt: min(maxBackoffMs, baseBackoffMs · 2^(n−1)). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Durable, bounded delivery queue. `enqueue` resolves once the notification is stored; a row is
 * deleted only after the provider accepted it or reported its token invalid. A temporary failure
 * keeps the row with its attempt count and next-attempt time (capped exponential backoff), so a
 * provider outage or a restart loses nothing; `start` resumes what an earlier process left.
 * Over `maxSize` the oldest rows are dropped (as spns keeps taking new notifications: the newest
 * is the one that still makes the app fetch its messages).
 */
export class NotificationQueue {
  private depth = 0;
  private readonly inFlight = new Map<number, Promise<void>>();
  /**
   * Rows whose delivery outcome the store refused to record (disk full, connection lost): held
   * here, and skipped by the pump, so a notification the provider took is not sent again and
   * again while the row cannot be deleted. Written at least every second until they land.
   */
  private readonly held = new Map<number, Outcome>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  private pumping = false;
  private pumpAgain = false;
  private readonly maxSize: number;
  private readonly concurrency: number;
  private readonly base: number;
  private readonly cap: number;
  private readonly sent: Counter;
  private readonly failed: Counter;
  private readonly dropped: Counter;
  private readonly invalid: Counter;

  constructor(private readonly opts: QueueOptions) {
    this.maxSize = opts.maxSize ?? 100_000;
    this.concurrency = opts.concurrency ?? 8;
    this.base = opts.baseBackoffMs ?? 500;
    this.cap = opts.maxBackoffMs ?? 60_000;
    const r = [opts.registry];
    this.sent = new Counter({
      name: "push_notifications_sent_total",
      help: "Accepted by the provider",
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
      help: "Dropped (the oldest) because the queue was full",
      registers: r,
    });
    this.invalid = new Counter({
      name: "push_invalid_tokens_total",
      help: "Tokens the provider reported invalid",
      labelNames: ["service"],
      registers: r,
    });
    const depth: Gauge = new Gauge({
      name: "push_queue_depth",
      help: "Notifications stored and not yet delivered (waiting or in flight)",
      registers: r,
      collect: () => {
        depth.set(this.depth);
      },
    });
  }

  /** Notifications stored and not yet delivered. */
  get size(): number {
    return this.depth;
  }

  /** Counts what is stored (an earlier process's leftovers included) and starts delivering. */
  async start(): Promise<void> {
    if (this.running || this.closed) return;
    this.depth = await this.opts.store.count();
    this.running = true;
    if (this.depth > 0) this.opts.logger.info({ pending: this.depth }, "resuming pending notifications");
    this.kick();
  }

  /**
   * Stores a notification; true once it is durable. Refused (false) only after `stop`. Before
   * `start` it is stored and waits.
   */
  async enqueue(n: PushNotification): Promise<boolean> {
    if (this.closed) return false;
    await this.opts.store.add(n, Date.now());
    this.depth++;
    if (this.depth > this.maxSize) {
      const gone = await this.opts.store.dropOldest(this.depth - this.maxSize, [...this.inFlight.keys()]);
      this.depth -= gone;
      this.dropped.inc(gone);
      this.opts.logger.warn(
        { dropped: gone, max: this.maxSize },
        "notification queue full: dropped the oldest",
      );
    }
    this.kick();
    return true;
  }

  /** Stops taking and sending; waits (up to `graceMs`) for the sends in flight to be recorded. */
  async stop(graceMs = 2_000): Promise<void> {
    this.closed = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight.size > 0) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight.values()]),
        new Promise((r) => {
          t = setTimeout(r, graceMs);
        }),
      ]);
      clearTimeout(t);
    }
    // One last try for outcomes the store refused; rows still held are sent again after a restart.
    if (this.held.size > 0) await this.recordHeld();
  }

  /** Runs the pump, or asks the running one to go round again. */
  private kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.kick();
      }
    });
  }

  private async pump(): Promise<void> {
    try {
      const allRecorded = this.held.size === 0 || (await this.recordHeld());
      while (this.running && this.inFlight.size < this.concurrency) {
        const rows = await this.opts.store.due(
          Date.now(),
          this.concurrency - this.inFlight.size,
          this.busy(),
        );
        if (rows.length === 0) break;
        for (const row of rows) this.inFlight.set(row.id, this.deliver(row));
      }
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (!this.running || this.inFlight.size >= this.concurrency) return;
      let next = await this.opts.store.nextAttemptMs(this.busy());
      // Nothing stored beyond what is in flight: the count is exact again (an enqueue racing
      // `start`'s count is corrected here).
      if (next === undefined && this.inFlight.size === 0 && this.held.size === 0) this.depth = 0;
      // Outcomes still to record are tried again within a second.
      if (!allRecorded || this.held.size > 0) next = Math.min(next ?? Infinity, Date.now() + 1000);
      if (next === undefined || !this.running) return;
      this.timer = setTimeout(() => this.kick(), Math.max(0, next - Date.now()));
      this.timer.unref();
    } catch (err) {
      // A full disk or a lost connection is logged once, as a condition (service-kit faults).
      if (!faultOf(err)) this.opts.logger.error({ err }, "notification queue: store failed, retrying in 1 s");
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.kick(), 1000);
      this.timer.unref();
    }
  }

  private async deliver(row: PendingNotification): Promise<void> {
    const { logger } = this.opts;
    const notifier = this.opts.notifiers.get(row.service);
    const n: PushNotification = { service: row.service, token: row.token, encPayload: row.encPayload };
    try {
      const failure = await attempt(notifier, n);
      let outcome: Outcome;
      if (!failure) {
        this.sent.inc({ service: row.service });
        outcome = { kind: "sent" };
      } else if (!failure.retryable) {
        this.invalid.inc({ service: row.service });
        logger.info(
          { service: row.service, reason: failure.message },
          "provider rejected token: removing it",
        );
        await this.opts.onInvalidToken(row.service, row.token).catch((err: unknown) => {
          logger.error({ err }, "could not remove the invalid token's subscriptions");
        });
        // Its other pending notifications would fail the same way.
        outcome = { kind: "invalid_token", service: row.service, token: row.token };
      } else {
        this.failed.inc({ service: row.service });
        const attempts = row.attempts + 1;
        const wait = backoffMs(attempts, { baseMs: this.base, maxMs: this.cap });
        outcome = { kind: "retry", attempts, nextAttemptMs: Date.now() + wait, error: failure.message };
        logger.warn(
          { service: row.service, reason: failure.message, attempts, retryInMs: wait },
          "delivery failed: will retry",
        );
      }
      try {
        await this.record(row.id, outcome);
      } catch (err) {
        // Not recorded (full disk, lost connection): the row is held back here, not sent again,
        // until the outcome lands (`recordHeld`, at least every second).
        this.held.set(row.id, outcome);
        if (!faultOf(err))
          logger.error({ err, id: row.id }, "notification queue: could not record a delivery outcome");
      }
    } finally {
      this.inFlight.delete(row.id);
      this.kick();
    }
  }

  /** Writes a delivery outcome to the store. */
  private async record(id: number, o: Outcome): Promise<void> {
    const { store } = this.opts;
    if (o.kind === "sent") {
      if (await store.remove(id)) this.depth--;
    } else if (o.kind === "invalid_token") {
      this.depth -= await store.removeToken(o.service, o.token);
    } else {
      await store.retryLater(id, o.attempts, o.nextAttemptMs, o.error);
    }
  }

  /** Records the held outcomes, oldest first, until the store fails again; true when none is left. */
  private async recordHeld(): Promise<boolean> {
    for (const [id, o] of this.held) {
      try {
        await this.record(id, o);
      } catch (err) {
        if (!faultOf(err))
          this.opts.logger.error({ err, id }, "notification queue: could not record a delivery outcome");
        return false;
      }
      this.held.delete(id);
    }
    return true;
  }

  /** Rows the pump must not fetch: being sent, or sent with their outcome not yet recorded. */
  private busy(): number[] {
    return [...this.inFlight.keys(), ...this.held.keys()];
  }
}

/**
 * Sends `n` through `notifier`: undefined once the provider took it, else why not. A notifier's
 * DeliveryError says itself whether a retry can help; anything else it throws (and a service with
 * no notifier) is taken as temporary.
 */
async function attempt(
  notifier: Notifier | undefined,
  n: PushNotification,
): Promise<DeliveryError | undefined> {
  if (!notifier) return new DeliveryError("DELIVERY_FAILED", `no notifier for ${n.service}`);
  try {
    await notifier.send(n);
    return undefined;
  } catch (err) {
    return err instanceof DeliveryError
      ? err
      : new DeliveryError("DELIVERY_FAILED", String(err), { cause: err });
  }
}

/** What a delivery attempt leaves to write: the row deleted (sent, token invalid) or rescheduled. */
type Outcome =
  | { kind: "sent" }
  | { kind: "invalid_token"; service: string; token: string }
  | { kind: "retry"; attempts: number; nextAttemptMs: number; error: string };
