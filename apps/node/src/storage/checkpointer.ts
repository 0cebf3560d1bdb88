import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/*
 * WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the COMMIT
 * that crosses 1000 WAL pages, on the thread that commits: for the node that is the event loop,
 * and a checkpoint (copying ~4 MiB into the database file and syncing it) stalls every request of
 * that turn — it was the store line's p99 (apps/node/README.md, "Checkpoints off the event loop").
 * The writer connection moves its automatic checkpoint far out (a backstop, store.ts), and this
 * thread runs a PASSIVE checkpoint on its own connection every `intervalMs`: PASSIVE never waits
 * for the writer or the readers, so the event loop never waits for it either.
 */

/** Slots of the shared control array. */
const STOP = 0;
const CLOSED = 1;
const RUNS = 2;
const FRAMES = 3;
const FAILURES = 4;

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const ctl = new Int32Array(workerData.control);
let db;
try {
  const Database = require(workerData.sqlite);
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma("busy_timeout = 0");
  // Sleeps until the interval ends or stop() wakes it.
  while (Atomics.wait(ctl, ${STOP}, 0, workerData.intervalMs) !== "not-equal") {
    if (Atomics.load(ctl, ${STOP}) !== 0) break;
    try {
      const [r] = db.pragma("wal_checkpoint(PASSIVE)");
      Atomics.add(ctl, ${RUNS}, 1);
      if (r && r.checkpointed > 0) Atomics.add(ctl, ${FRAMES}, r.checkpointed);
    } catch {
      Atomics.add(ctl, ${FAILURES}, 1);
    }
  }
} catch {
  Atomics.add(ctl, ${FAILURES}, 1);
} finally {
  try { db?.close(); } catch {}
  Atomics.store(ctl, ${CLOSED}, 1);
  Atomics.notify(ctl, ${CLOSED});
}
`;

export interface CheckpointStats {
  /** Checkpoint attempts made by the thread. */
  runs: number;
  /** WAL frames it copied into the database file. */
  framesCheckpointed: number;
  /** Attempts that threw (SQLITE_BUSY and the like: the next interval tries again). */
  failures: number;
}

export class WalCheckpointer {
  private readonly control = new Int32Array(new SharedArrayBuffer(5 * 4));
  private readonly worker: Worker;
  private stopped = false;

  /** Starts checkpointing the WAL of the database at `path` (which must exist, in WAL mode). */
  constructor(path: string, intervalMs = 200) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        intervalMs,
        control: this.control.buffer,
        sqlite: createRequire(import.meta.url).resolve("better-sqlite3"),
      },
    });
    // A node stops by closing its store; the thread must not keep the process alive on its own.
    this.worker.unref();
  }

  get stats(): CheckpointStats {
    return {
      runs: Atomics.load(this.control, RUNS),
      framesCheckpointed: Atomics.load(this.control, FRAMES),
      failures: Atomics.load(this.control, FAILURES),
    };
  }

  /**
   * Stops the thread and waits (synchronously, at most `timeoutMs`) until it has closed its
   * connection, so that the writer's close is the last one and folds the WAL into the database.
   */
  stop(timeoutMs = 2_000): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.control, STOP, 1);
    Atomics.notify(this.control, STOP);
    Atomics.wait(this.control, CLOSED, 0, timeoutMs);
    void this.worker.terminate();
  }
}
