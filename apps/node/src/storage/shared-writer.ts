import Database from "better-sqlite3";
import { BACKSTOP_CHECKPOINT_PAGES } from "./checkpointer.ts";
import { type HotStatements, insertMessage, prepareHotStatements } from "./hot-statements.ts";
import type { NewMessage } from "./store.ts";

/** What a write reports: whether the row is new, and the expiry now stored for its hash. */
export interface WriteOutcome {
  isNew: boolean;
  expiry: number;
}

/** Until then a batch whose lock stays taken keeps trying; then it fails (the stores answer 500). */
const LOCK_WAIT_MS = 5_000;
/** Tries on the next turns before waiting on a timer (another process's commit is ~0.1 ms). */
const IMMEDIATE_TRIES = 3;
/**
 * Then a try every millisecond: a holder's transaction is short unless its process is off the
 * CPU, and a longer timer would add its length to every store of the batch.
 */
const RETRY_DELAY_MS = 1;

interface Pending {
  m: NewMessage;
  now: number;
  onlyMessageInNamespace: boolean;
  resolve(o: WriteOutcome): void;
  reject(err: unknown): void;
}

/** The write lock is another process's now (SQLITE_BUSY, or SQLITE_BUSY_SNAPSHOT and kin). */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/**
 * A cluster worker's own writes to the node's database (README "Using every core"): the stores of
 * one event-loop turn are inserted and committed in one transaction on this connection, beside
 * the owner process and the other workers, which write the same WAL database.
 *
 * SQLite lets one connection write at a time, and its busy handler waits by sleeping, which would
 * stop the worker's event loop. So the lock is tried without waiting (`busy_timeout = 0`): when
 * another process holds it, the batch stays queued, the loop serves other requests (whose stores
 * join the batch), and it tries again on a later turn. A write is resolved only once committed.
 */
export class SharedWriter {
  private readonly st: HotStatements;
  private queue: Pending[] = [];
  /** When the queued batch first found the lock taken (0: it has not). */
  private busySince = 0;
  private tries = 0;
  private timer?: NodeJS.Immediate | NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly sqlite: Database.Database,
    private readonly lockWaitMs: number,
  ) {
    // The statements the owner's connection stores with (one definition of a stored row).
    this.st = prepareHotStatements(sqlite);
  }

  /**
   * A connection to a database another process created, migrated and checkpoints (WAL); a batch
   * that cannot take the lock for `lockWaitMs` fails.
   */
  static open(path: string, opts: { lockWaitMs?: number } = {}): SharedWriter {
    const sqlite = new Database(path, { fileMustExist: true, timeout: 0 });
    // Per connection: the owner's settings (durable at checkpoints, WAL-safe on a crash; SQLite's
    // own checkpoint far out, as on the owner's connection).
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    return new SharedWriter(sqlite, opts.lockWaitMs ?? LOCK_WAIT_MS);
  }

  /** Inserts a message with this turn's others; resolves once committed (rejects if it was not). */
  write(
    m: NewMessage,
    now: number,
    options: { onlyMessageInNamespace?: boolean } = {},
  ): Promise<WriteOutcome> {
    if (this.closed) return Promise.reject(new Error("the worker's database connection is closed"));
    return new Promise((resolve, reject) => {
      const only = options.onlyMessageInNamespace ?? false;
      this.queue.push({ m, now, onlyMessageInNamespace: only, resolve, reject });
      if (this.queue.length === 1 && !this.timer) this.schedule(0);
    });
  }

  private schedule(delayMs: number): void {
    const run = () => {
      this.timer = undefined;
      this.commit();
    };
    this.timer = delayMs === 0 ? setImmediate(run) : setTimeout(run, delayMs);
  }

  /** One try: the whole queue in one transaction, or (lock taken) another try later. */
  private commit(): void {
    if (this.queue.length === 0) return;
    try {
      this.sqlite.exec("BEGIN IMMEDIATE");
    } catch (err) {
      if (isBusy(err)) {
        this.busy(err);
        return;
      }
      this.fail(this.take(), err);
      return;
    }
    const batch = this.take();
    const outcomes: WriteOutcome[] = [];
    try {
      for (const p of batch) outcomes.push(this.insert(p));
      this.sqlite.exec("COMMIT");
    } catch (err) {
      try {
        if (this.sqlite.inTransaction) this.sqlite.exec("ROLLBACK");
      } catch {}
      this.fail(batch, err);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(outcomes[i]!);
  }

  private take(): Pending[] {
    const batch = this.queue;
    this.queue = [];
    this.busySince = 0;
    this.tries = 0;
    return batch;
  }

  private busy(err: unknown): void {
    // At close the one blocking wait is over: what is left was never answered as stored.
    if (this.closed) {
      this.fail(this.take(), err);
      return;
    }
    const now = Date.now();
    if (this.busySince === 0) this.busySince = now;
    else if (now - this.busySince > this.lockWaitMs) {
      this.fail(this.take(), err);
      return;
    }
    this.tries++;
    this.schedule(this.tries <= IMMEDIATE_TRIES ? 0 : RETRY_DELAY_MS);
  }

  private fail(batch: Pending[], err: unknown): void {
    for (const p of batch) p.reject(err);
  }

  private insert(p: Pending): WriteOutcome {
    const { m } = p;
    // A public outbox keeps one message: the older ones go in the same transaction.
    if (p.onlyMessageInNamespace) this.st.clearOthers.run(m.owner, m.namespace, m.hash);
    if (insertMessage(this.st, m)) return { isNew: true, expiry: m.expiry };
    // A duplicate keeps its row, with the later of the two expiries.
    const row = this.st.get.get(m.hash, p.now) as { expiry: number } | undefined;
    return { isNew: false, expiry: row?.expiry ?? m.expiry };
  }

  /**
   * Commits what is queued, waiting for the lock this once (at most `waitMs`, blocking), then
   * closes. A worker stops only after its requests in flight, so the queue is usually empty.
   */
  close(waitMs = 1_000): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) {
      // Each kind of handle to its own clear function (clearImmediate on a timer miscounts).
      if ("hasRef" in this.timer && "refresh" in this.timer) clearTimeout(this.timer);
      else clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    if (this.queue.length > 0) {
      this.sqlite.pragma(`busy_timeout = ${waitMs}`);
      this.busySince = 0;
      this.commit();
    }
    this.sqlite.close();
  }
}
