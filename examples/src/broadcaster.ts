import { randomUUID } from "node:crypto";
import type { ClientStore, SessionClient } from "@session/client";

const SUB = "broadcaster/subscriber/";
const OUTBOX = "broadcaster/outbox/";

interface Announcement {
  text: string;
  /** Subscribers not yet sent to. */
  pending: string[];
}

/**
 * A privacy-preserving notification service: subscribers opt in by messaging the bot "subscribe"
 * (or "stop"); announcements go to every subscriber as separate end-to-end encrypted messages.
 * The service holds Session IDs only — no phone numbers, emails or addresses.
 *
 * Restart-safe: subscribers and announcements live in the client's store; the inbox is read only
 * once (the client's seen hashes), and an announcement records each delivery before the next, so
 * a restart resumes it where it stopped instead of sending again.
 */
export class Broadcaster {
  private readonly store: ClientStore;

  constructor(private readonly bot: SessionClient) {
    this.store = bot.store;
  }

  async subscribers(): Promise<string[]> {
    return (await this.store.keys(SUB)).map((k) => k.slice(SUB.length));
  }

  /** Reads new messages and applies subscribe/stop commands. */
  async processInbox(): Promise<void> {
    for (const m of await this.bot.poll()) await this.handle(m.from, m.text);
  }

  /** One command from `from`: "subscribe" is confirmed once, "stop" removes them. */
  async handle(from: string, text: string | undefined): Promise<void> {
    const cmd = text?.trim().toLowerCase();
    if (cmd === "subscribe") {
      if ((await this.store.getValue(SUB + from)) !== undefined) return;
      await this.store.setValue(SUB + from, { since: this.bot.now() });
      await this.bot.sendText(from, "Subscribed. Reply STOP to unsubscribe.");
    } else if (cmd === "stop") {
      await this.store.deleteValue(SUB + from);
    }
  }

  /** Sends `text` to every subscriber; returns how many were reached. */
  async announce(text: string): Promise<number> {
    const id = `${this.bot.now().toString().padStart(15, "0")}-${randomUUID()}`;
    const a: Announcement = { text, pending: await this.subscribers() };
    await this.store.setValue(OUTBOX + id, a);
    return this.deliver(id, a);
  }

  /** Finishes announcements a restart interrupted; returns the messages sent. */
  async resume(): Promise<number> {
    let sent = 0;
    for (const key of await this.store.keys(OUTBOX)) {
      const a = await this.store.getValue<Announcement>(key);
      if (a) sent += await this.deliver(key.slice(OUTBOX.length), a);
    }
    return sent;
  }

  private async deliver(id: string, a: Announcement): Promise<number> {
    let sent = 0;
    while (a.pending.length > 0) {
      const to = a.pending[0]!;
      // Still subscribed? (a STOP may have arrived since.)
      if ((await this.store.getValue(SUB + to)) !== undefined) {
        await this.bot.sendText(to, a.text);
        sent++;
      }
      a.pending.shift();
      await this.store.setValue(OUTBOX + id, a);
    }
    await this.store.deleteValue(OUTBOX + id);
    return sent;
  }
}
