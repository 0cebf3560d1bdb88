import type Database from "better-sqlite3";

/**
 * One write transaction per event-loop turn (group commit): the first write of a turn opens it,
 * and it is committed in that turn's check phase, after the turn's I/O callbacks have run — or
 * earlier, by `flush()`, before any statement that must not see or follow uncommitted rows.
 */
export class TurnCommit {
  private batch?: { done: Promise<void>; resolve(): void; reject(err: unknown): void };

  constructor(private readonly sqlite: Database.Database) {}

  /** Makes the next statements part of this turn's transaction, opening it if needed. */
  join(): void {
    if (this.batch || this.sqlite.inTransaction) return;
    this.sqlite.exec("BEGIN IMMEDIATE");
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => {}); // the callers that await it see the error; nobody else must
    this.batch = { done, resolve, reject };
    setImmediate(() => this.flush());
  }

  /** Resolves once the open transaction is committed (rejects if that commit failed). */
  durable(): Promise<void> {
    return this.batch?.done ?? Promise.resolve();
  }

  /** Commits the open transaction now (a no-op without one); rolls it back if the commit fails. */
  flush(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = undefined;
    try {
      this.sqlite.exec("COMMIT");
      b.resolve();
    } catch (err) {
      try {
        if (this.sqlite.inTransaction) this.sqlite.exec("ROLLBACK");
      } catch {}
      b.reject(err);
    }
  }
}
