import { randomInt, timingSafeEqual } from "node:crypto";
import type { ClientStore, SessionClient } from "@session/client";

const PENDING = "2fa/pending/";

interface PendingCode {
  code: string;
  expires: number;
  sentAt?: number;
}

export type SendCodeResult = { sent: true; expires: number } | { sent: false; retryAfterSeconds: number };

/**
 * An anonymous 2FA code sender: a service account sends a one-time code to a user's Session ID.
 * Neither side learns the other's phone number or IP; the code disappears after 5 minutes.
 *
 * Codes live in the client's store, so a restart neither forgets them (verify still works) nor
 * sends them twice: a code is written before it is sent and marked sent after; a new code for the
 * same ID is refused until `resendAfterSeconds` have passed.
 */
export class TwoFactorSender {
  private readonly store: ClientStore;

  constructor(
    private readonly bot: SessionClient,
    private readonly opts: { validForSeconds?: number; resendAfterSeconds?: number; now?: () => number } = {},
  ) {
    this.store = bot.store;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Sends a fresh 6-digit code unless one was sent less than `resendAfterSeconds` ago. */
  async sendCode(sessionId: string): Promise<SendCodeResult> {
    const id = sessionId.toLowerCase();
    const old = await this.store.getValue<PendingCode>(PENDING + id);
    const gap = (this.opts.resendAfterSeconds ?? 60) * 1000;
    if (old && old.expires > this.now() && old.sentAt !== undefined && this.now() - old.sentAt < gap)
      return { sent: false, retryAfterSeconds: Math.ceil((old.sentAt + gap - this.now()) / 1000) };
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const p: PendingCode = { code, expires: this.now() + this.ttl() * 1000 };
    await this.store.setValue(PENDING + id, p);
    await this.deliver(id, p);
    return { sent: true, expires: p.expires };
  }

  /** Sends codes a restart left written but unsent (still valid); returns how many. */
  async resume(): Promise<number> {
    let n = 0;
    for (const key of await this.store.keys(PENDING)) {
      const p = await this.store.getValue<PendingCode>(key);
      if (!p || p.expires <= this.now()) await this.store.deleteValue(key);
      else if (p.sentAt === undefined) {
        await this.deliver(key.slice(PENDING.length), p);
        n++;
      }
    }
    return n;
  }

  /** Checks a code once: right code, in time, not reused. */
  async verify(sessionId: string, code: string): Promise<boolean> {
    const key = PENDING + sessionId.toLowerCase();
    const p = await this.store.getValue<PendingCode>(key);
    if (!p || p.sentAt === undefined || p.expires < this.now()) return false;
    const a = Buffer.from(p.code);
    const b = Buffer.from(code);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    await this.store.deleteValue(key);
    return true;
  }

  private ttl(): number {
    return this.opts.validForSeconds ?? 300;
  }

  private async deliver(sessionId: string, p: PendingCode): Promise<void> {
    const ttl = this.ttl();
    await this.bot.sendText(
      sessionId,
      `Your login code is ${p.code}. It expires in ${Math.round(ttl / 60)} min.`,
      {
        disappear: { type: "after-send", seconds: ttl },
      },
    );
    p.sentAt = this.now();
    await this.store.setValue(PENDING + sessionId, p);
  }
}
