import { randomInt } from "node:crypto";
import type { SessionClient } from "@session/client";

/**
 * An anonymous 2FA code sender: a service account sends a one-time code to a user's Session ID.
 * Neither side learns the other's phone number or IP; the code disappears after 5 minutes.
 */
export class TwoFactorSender {
  private readonly pending = new Map<string, { code: string; expires: number }>();

  constructor(
    private readonly bot: SessionClient,
    private readonly opts: { validForSeconds?: number; now?: () => number } = {},
  ) {}

  /** Sends a fresh 6-digit code; returns it (store only its check on your side). */
  async sendCode(sessionId: string): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const ttl = this.opts.validForSeconds ?? 300;
    this.pending.set(sessionId, { code, expires: (this.opts.now ?? Date.now)() + ttl * 1000 });
    await this.bot.sendText(
      sessionId,
      `Your login code is ${code}. It expires in ${Math.round(ttl / 60)} min.`,
      {
        disappear: { type: "after-send", seconds: ttl },
      },
    );
  }

  /** Checks a code once: right code, in time, not reused. */
  verify(sessionId: string, code: string): boolean {
    const p = this.pending.get(sessionId);
    if (!p || p.expires < (this.opts.now ?? Date.now)()) return false;
    if (p.code !== code) return false;
    this.pending.delete(sessionId);
    return true;
  }
}
