import type { SessionClient } from "@session/client";

/**
 * A privacy-preserving notification service: subscribers opt in by messaging the bot "subscribe"
 * (or "stop"); announcements go to every subscriber as separate end-to-end encrypted messages.
 * The service holds Session IDs only — no phone numbers, emails or addresses.
 */
export class Broadcaster {
  readonly subscribers = new Set<string>();

  constructor(private readonly bot: SessionClient) {}

  /** Reads new messages and applies subscribe/stop commands. */
  async processInbox(): Promise<void> {
    for (const m of await this.bot.poll()) {
      const cmd = m.text?.trim().toLowerCase();
      if (cmd === "subscribe") {
        this.subscribers.add(m.from);
        this.bot.accept(m.from);
        await this.bot.sendText(m.from, "Subscribed. Reply STOP to unsubscribe.");
      } else if (cmd === "stop") {
        this.subscribers.delete(m.from);
      }
    }
  }

  /** Sends `text` to every subscriber; returns how many were reached. */
  async announce(text: string): Promise<number> {
    let sent = 0;
    for (const s of this.subscribers) {
      await this.bot.sendText(s, text);
      sent++;
    }
    return sent;
  }
}
