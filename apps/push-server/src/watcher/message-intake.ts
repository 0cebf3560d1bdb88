import { fromBase64 } from "@session/crypto";
import type { MonitorMessageEvent } from "@session/protocol/monitor";
import type { Counter } from "prom-client";
import type { Opts } from "./options.ts";
import { SeenHashes } from "./seen-hashes.ts";

/**
 * The messages the nodes report for watched accounts: each member of a swarm reports the same
 * message, so only the first report of a hash is handed to `onMessage`.
 */
export class MessageIntake {
  private readonly seen: SeenHashes;

  constructor(
    private readonly opts: Pick<Opts, "dedupSize" | "onMessage" | "logger">,
    /** Counted by result: new, duplicate or failed. */
    private readonly messages: Counter,
  ) {
    this.seen = new SeenHashes(opts.dedupSize);
  }

  async take(m: MonitorMessageEvent): Promise<void> {
    const key = `${m.pubkey}:${m.hash}`;
    if (this.seen.has(key)) {
      this.messages.inc({ result: "duplicate" });
      return;
    }
    this.seen.add(key);
    this.messages.inc({ result: "new" });
    try {
      await this.opts.onMessage({
        pubkey: m.pubkey,
        hash: m.hash,
        namespace: m.namespace,
        timestamp: m.timestamp,
        expiry: m.expiry,
        ...(m.data !== undefined ? { data: fromBase64(m.data) } : {}),
      });
    } catch (err) {
      // Not queued (e.g. the database write failed): forget it, so the copy another member of the
      // swarm reports is handled instead of being dropped as a duplicate.
      this.seen.delete(key);
      this.messages.inc({ result: "failed" });
      // No account id in the log: logs carry no Session IDs.
      this.opts.logger.error({ err: String(err), namespace: m.namespace }, "handling a message failed");
    }
  }
}
