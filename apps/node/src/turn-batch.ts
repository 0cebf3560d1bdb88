/**
 * Collects what arrives during one event-loop turn and hands it over, in arrival order, as one
 * batch in the turn's check phase (setImmediate, after the turn's I/O callbacks). For CPU-heavy
 * steps of request handling (signature checks, onion layer opens): libsodium's code and tables
 * stay in the CPU caches across a batch, where interleaved with parsing, SQLite and HTTP work each
 * call costs about 1.5× its tight-loop time (with native libsodium too: checking each signature
 * as its request arrives measured 0.90× on retrieve, apps/node README).
 */
export class TurnQueue<T> {
  private queue: T[] = [];

  constructor(private readonly flush: (batch: T[]) => void) {}

  push(item: T): void {
    this.queue.push(item);
    if (this.queue.length === 1) {
      setImmediate(() => {
        const batch = this.queue;
        this.queue = [];
        this.flush(batch);
      });
    }
  }

  /** Items waiting for this turn's check phase. */
  get pending(): number {
    return this.queue.length;
  }
}
