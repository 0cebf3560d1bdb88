import type { EventEmitter } from "node:events";
import type { IncomingMessage } from "./messages.ts";

// When a SessionClient polls: one poll at a time, a timer between `start()` and `stop()`, and the
// async iterator over delivered messages (split out of client.ts, whose methods delegate here).

export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<IncomingMessage[]> | undefined;

  constructor(
    private readonly pollOnce: () => Promise<IncomingMessage[]>,
    private readonly report: (err: Error) => void,
    private readonly intervalMs: number,
  ) {}

  /** Runs a poll, or joins the one in flight. */
  poll(): Promise<IncomingMessage[]> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Polls every `intervalMs` until `stop()`; errors are reported, polling goes on. */
  start(): void {
    if (this.timer) return;
    const tick = () => this.poll().catch((err: unknown) => this.report(err as Error));
    void tick();
    this.timer = setInterval(tick, this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Settles when the poll in flight (if any) has ended, whatever its outcome. */
  async idle(): Promise<void> {
    await this.polling?.catch(() => {});
  }
}

/** Messages `emitter` emits from now on, as an async iterator (`start` begins polling). */
export async function* messageStream(
  emitter: EventEmitter<{ message: [IncomingMessage]; error: [Error] }>,
  start: () => void,
): AsyncGenerator<IncomingMessage> {
  const queue: IncomingMessage[] = [];
  let wake: (() => void) | undefined;
  const on = (m: IncomingMessage) => {
    queue.push(m);
    wake?.();
  };
  emitter.on("message", on);
  start();
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = undefined;
    }
  } finally {
    emitter.off("message", on);
  }
}
