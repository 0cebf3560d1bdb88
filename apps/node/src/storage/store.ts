import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { countRows } from "../db/count.ts";
import { type MessageRow, messages } from "../db/schema.ts";
import type { AfterDb, ExpireResult } from "./account-edits.ts";
import * as edits from "./account-edits.ts";
import { BACKSTOP_CHECKPOINT_PAGES, type CheckpointStats, WalCheckpointer } from "./checkpointer.ts";
import { type HotStatements, insertMessage, prepareHotStatements, RETRIEVE_PAGE } from "./hot-statements.ts";
import * as scan from "./replication-scan.ts";
import { TurnCommit } from "./turn-commit.ts";

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), "..", "db", "migrations");

export interface NewMessage {
  hash: string;
  owner: string;
  namespace: number;
  timestamp: number;
  expiry: number;
  data: Uint8Array;
}

export type StoredMessage = NewMessage;

/**
 * Message storage on SQLite (better-sqlite3 through drizzle, WAL). Every read takes `now` and
 * ignores expired rows, so an expired message is never returned even before the sweep runs.
 *
 * Group commit: `storeInBatch` (the storage RPC's stores) puts the inserts of one event-loop turn
 * in one transaction, committed in that turn's check phase; callers acknowledge only after
 * `durable()`. Any other statement — every other method, and any use of `db` (the drizzle
 * handle, also used by SubaccountRevocations) — commits the pending batch first, so nothing
 * uncommitted is ever read or answered.
 *
 * Store, retrieve and sweep run on prepared statements here (hot-statements.ts); the rarer delete
 * and expire families (account-edits.ts) and replication's walks (replication-scan.ts) are drizzle
 * queries in modules of their own, given `db`.
 */
export class MessageStore {
  readonly db: ReturnType<typeof drizzle>;
  private hotStatements?: HotStatements;
  private readonly turn: TurnCommit;
  private checkpointer?: WalCheckpointer;
  private constructor(private readonly sqlite: Database.Database) {
    this.turn = new TurnCommit(sqlite);
    const db = drizzle(sqlite);
    // Every drizzle query starts with a property of this object: flush the batch there.
    this.db = new Proxy(db, {
      get: (target, key, receiver) => {
        this.flush();
        return Reflect.get(target, key, receiver);
      },
    });
  }

  /**
   * Inserts like `store`, inside this turn's write transaction (opened on the first call, committed
   * once the turn's I/O callbacks have run). Acknowledge only after `durable()` resolves.
   */
  storeInBatch(m: NewMessage, options: { onlyMessageInNamespace?: boolean } = {}): boolean {
    this.turn.join();
    // A public outbox keeps one message: the older ones go in the same transaction, so a commit
    // that fails (disk full) leaves the previous message in place.
    if (options.onlyMessageInNamespace) this.hot.clearOthers.run(m.owner, m.namespace, m.hash);
    return this.insert(m);
  }

  /** Resolves once every batched store so far is committed (rejects if that commit failed). */
  durable(): Promise<void> {
    return this.turn.durable();
  }

  /** Commits the pending batch now (a no-op without one). */
  flush(): void {
    this.turn.flush();
  }

  /** Prepared once (after migrations): drizzle rebuilds the SQL of a query on every call. */
  private get hot(): HotStatements {
    this.hotStatements ??= prepareHotStatements(this.sqlite);
    return this.hotStatements;
  }

  static open(path: string): MessageStore {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const sqlite = new Database(path);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    const store = new MessageStore(sqlite);
    migrate(store.db, { migrationsFolder: MIGRATIONS });
    if (path !== ":memory:") {
      // Checkpoints run on their own thread (checkpointer.ts). SQLite's own stays as a backstop
      // far above what that thread lets the WAL reach, should the thread ever fall behind.
      sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
      store.checkpointer = new WalCheckpointer(path);
    }
    return store;
  }

  /**
   * A second, read-only connection to a database another process writes (a cluster worker's view of
   * the owner's database; src/cluster/). WAL lets it read committed rows while the owner writes;
   * the owner has run the migrations before any worker opens it.
   */
  static openReadOnly(path: string): MessageStore {
    const sqlite = new Database(path, { readonly: true, fileMustExist: true });
    return new MessageStore(sqlite);
  }

  /** Inserts a message; false when its hash is already stored (then its expiry is raised if later). */
  store(m: NewMessage): boolean {
    this.flush();
    return this.insert(m);
  }

  /** Inserts many in one transaction (a replication page); returns the ones that were new. */
  storeMany(ms: readonly NewMessage[]): NewMessage[] {
    this.flush();
    const added: NewMessage[] = [];
    this.sqlite.transaction(() => {
      for (const m of ms) if (this.insert(m)) added.push(m);
    })();
    return added;
  }

  private insert(m: NewMessage): boolean {
    return insertMessage(this.hot, m);
  }

  get(hash: string, now: number): MessageRow | undefined {
    this.flush();
    return this.hot.get.get(hash, now) as MessageRow | undefined;
  }

  /**
   * Messages of an account namespace after `lastHash` (or from the start when unknown/absent),
   * oldest first, within the count and byte limits; `more` when limits cut the result.
   */
  retrieve(
    owner: string,
    namespace: number,
    lastHash: string | undefined,
    now: number,
    limits: { maxCount?: number | undefined; maxSize: number },
  ): { messages: MessageRow[]; more: boolean } {
    this.flush();
    const cap = (limits.maxCount ?? 10_000) + 1;
    const out: MessageRow[] = [];
    let size = 0;
    // Rows are read a page at a time and the reading stops at the first that does not fit: a
    // default retrieve from a large inbox returns ~1100 messages of 1 KiB and must not load the
    // 10 001 the count cap allows.
    let page = this.hot.firstPage.all({ owner, namespace, last: lastHash ?? "", now }) as MessageRow[];
    let read = 0;
    for (;;) {
      for (const r of page) {
        if (read++ === cap) return { messages: out, more: false };
        // Sizes are counted as the base64 the reply carries, as oxenss does.
        const s = Math.ceil(r.data.length / 3) * 4 + r.hash.length;
        if (limits.maxCount !== undefined && out.length >= limits.maxCount)
          return { messages: out, more: true };
        if (out.length > 0 && size + s > limits.maxSize) return { messages: out, more: true };
        out.push(r);
        size += s;
      }
      if (page.length < RETRIEVE_PAGE) return { messages: out, more: false };
      page = this.hot.nextPage.all(owner, namespace, page[page.length - 1]!.id, now) as MessageRow[];
    }
  }

  // The delete and expire families (account-edits.ts).
  deleteHashes(...args: AfterDb<typeof edits.deleteHashes>): string[] {
    return edits.deleteHashes(this.db, ...args);
  }
  deleteAll(...args: AfterDb<typeof edits.deleteAll>): Record<string, string[]> {
    return edits.deleteAll(this.db, ...args);
  }
  deleteBefore(...args: AfterDb<typeof edits.deleteBefore>): Record<string, string[]> {
    return edits.deleteBefore(this.db, ...args);
  }
  expire(...args: AfterDb<typeof edits.expire>): ExpireResult {
    return edits.expire(this.db, ...args);
  }
  expireAll(...args: AfterDb<typeof edits.expireAll>): Record<string, string[]> {
    return edits.expireAll(this.db, ...args);
  }
  maxExpiry(...args: AfterDb<typeof edits.maxExpiry>): number | undefined {
    return edits.maxExpiry(this.db, ...args);
  }
  expiries(...args: AfterDb<typeof edits.expiries>): Record<string, number> {
    return edits.expiries(this.db, ...args);
  }

  /**
   * Removes expired rows, the soonest-expired first, at most `limit` (one statement holds the
   * event loop: a node back from days away sweeps its backlog in steps); returns how many.
   */
  sweep(now: number, limit = Number.MAX_SAFE_INTEGER): number {
    this.flush();
    return this.hot.sweep.run(now, limit).changes;
  }

  // Replication's walks of the table (replication-scan.ts).
  liveAfter(...args: AfterDb<typeof scan.liveAfter>): (StoredMessage & { id: number })[] {
    return scan.liveAfter(this.db, ...args);
  }
  lastRowId(): number {
    return scan.lastRowId(this.db);
  }
  rowsBetween(...args: AfterDb<typeof scan.rowsBetween>): (StoredMessage & { id: number })[] {
    return scan.rowsBetween(this.db, ...args);
  }
  ownersAfter(...args: AfterDb<typeof scan.ownersAfter>): string[] {
    return scan.ownersAfter(this.db, ...args);
  }
  deleteByHash(...args: AfterDb<typeof scan.deleteByHash>): number {
    return scan.deleteByHash(this.db, ...args);
  }

  count(now: number): number {
    return countRows(this.db, messages, gt(messages.expiry, now));
  }

  /** What the checkpoint thread has done (undefined for an in-memory or read-only store). */
  get checkpoints(): CheckpointStats | undefined {
    return this.checkpointer?.stats;
  }

  close(): void {
    this.flush();
    // The thread's connection closes first, so this one is the last and folds the WAL in.
    this.checkpointer?.stop();
    this.sqlite.close();
  }
}
