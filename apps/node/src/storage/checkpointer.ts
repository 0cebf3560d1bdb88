import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/*
 * WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the COMMIT
 * that crosses 1000 WAL pages, on the thread that commits: for the node that is the event loop,
 * and a checkpoint (copying ~4 MiB into the database file and syncing it) stalls every request of
 * that turn — it was the store line's p99 (apps/node/README.md, "Checkpoints off the event loop").
 * The writer connections move their automatic checkpoint far out (a backstop), and this thread
 * runs a PASSIVE checkpoint on its own connection every `intervalMs`: PASSIVE never waits for the
 * writers or the readers, so no event loop waits for it either.
 *
 * PASSIVE alone never lets the log start over under a steady store load: a writer restarts the
 * log only if, when it begins, every frame has been copied back, and commits land during every
 * pass. The log then grew to the backstop, whose checkpoint ran inside some commit and held that
 * worker for 15–28 ms (copying what the thread had not, and syncing the log and the database) —
 * the store line's p99. So once the log holds `restartFrames`, the thread repeats PASSIVE passes
 * until one finds only a few new frames, then runs a RESTART checkpoint: it holds the write lock
 * while it copies those few frames and syncs (~1–5 ms; the writers meanwhile find the lock taken
 * and try again, see shared-writer.ts), and the next commit starts the log over.
 */

/** The writers' own checkpoint (wal_autocheckpoint): only reached should the thread fall behind. */
export const BACKSTOP_CHECKPOINT_PAGES = 40_000;
/** The log size (frames) from which the thread starts it over. */
const RESTART_FRAMES = 4_000;
/** A pass that finds at most this many new frames leaves a RESTART little to do under the lock. */
const FEW_NEW_FRAMES = 16;
/** Passes tried for that in one interval (a writer faster than the copy: next interval). */
const MAX_CATCH_UP_PASSES = 30;
/** RESTARTs tried, 1 ms apart, while a writer holds the lock or a reader the log. */
const RESTART_TRIES = 20;

/** Slots of the shared control array. */
const STOP = 0;
const CLOSED = 1;
const RUNS = 2;
const FRAMES = 3;
const FAILURES = 4;
const RESTARTS = 5;
const SLOTS = 6;

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const ctl = new Int32Array(workerData.control);
let db;
try {
  const Database = require(workerData.sqlite);
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma("busy_timeout = 0");
  // SQLite reports the frames of the log copied back so far, not by this checkpoint: count the
  // difference (all of them once the log has started over).
  let copied = 0;
  const checkpoint = (mode) => {
    const [r] = db.pragma("wal_checkpoint(" + mode + ")");
    Atomics.add(ctl, ${RUNS}, 1);
    Atomics.add(ctl, ${FRAMES}, r.checkpointed >= copied ? r.checkpointed - copied : r.checkpointed);
    copied = r.checkpointed;
    return r;
  };
  const pass = () => checkpoint("PASSIVE");
  // Catch up until a pass finds few new frames (the log a pass reports is its size when the pass
  // began), then start the log over while there is almost nothing left to copy under the lock.
  const startOver = (r) => {
    let fresh = Infinity;
    for (let i = 0; i < ${MAX_CATCH_UP_PASSES} && fresh > ${FEW_NEW_FRAMES}; i++) {
      const before = r.log;
      r = pass();
      if (r.log < before) return; // a writer started the log over itself
      fresh = r.log - before;
    }
    if (fresh > ${FEW_NEW_FRAMES}) return;
    for (let i = 0; i < ${RESTART_TRIES}; i++) {
      if (checkpoint("RESTART").busy === 0) {
        Atomics.add(ctl, ${RESTARTS}, 1);
        copied = 0; // the next log is counted from its first frame
        return;
      }
      // A stop ends the tries (the wait returns at once once STOP is set).
      if (Atomics.wait(ctl, ${STOP}, 0, 1) === "not-equal") return;
    }
  };
  // Sleeps until the interval ends or stop() wakes it.
  while (Atomics.wait(ctl, ${STOP}, 0, workerData.intervalMs) !== "not-equal") {
    if (Atomics.load(ctl, ${STOP}) !== 0) break;
    try {
      const r = pass();
      if (workerData.restartFrames > 0 && r.log >= workerData.restartFrames) startOver(r);
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
  /** WAL frames it copied into the database file (counted per log, so about right). */
  framesCheckpointed: number;
  /** Attempts that threw (SQLITE_BUSY and the like: the next interval tries again). */
  failures: number;
  /** Times the thread started the log over (a RESTART checkpoint). */
  restarts: number;
}

export class WalCheckpointer {
  private readonly control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly worker: Worker;
  private stopped = false;

  /**
   * Starts checkpointing the WAL of the database at `path` (which must exist, in WAL mode), and
   * starting it over once it holds `restartFrames` (0: never).
   */
  constructor(path: string, opts: { intervalMs?: number; restartFrames?: number } = {}) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        intervalMs: opts.intervalMs ?? 200,
        restartFrames: opts.restartFrames ?? RESTART_FRAMES,
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
      restarts: Atomics.load(this.control, RESTARTS),
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
