import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { and, asc, eq, gt, inArray, lte, ne, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { countRows } from "../db/count.ts";
import { type MessageRow, messages } from "../db/schema.ts";
import { type CheckpointStats, WalCheckpointer } from "./checkpointer.ts";
import { type HotStatements, prepareHotStatements } from "./hot-statements.ts";
import { TurnCommit } from "./turn-commit.ts";

/** SQLite's own checkpoint, 10× its default: only reached if the checkpoint thread stalls. */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;

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

export interface ExpireResult {
  updated: string[];
  /** Hash → current expiry of messages a shorten/extend left as they were. */
  unchanged: Record<string, number>;
  /** Hash → new expiry of updated messages. */
  newExpiries: Record<string, number>;
}

/**
 * Message storage on SQLite (better-sqlite3 through drizzle, WAL). Every read takes `now` and
 * ignores expired rows, so an expired message is never returned even before the sweep runs.
 *
 * Group commit: `storeInBatch` (the storage RPC's stores) puts the inserts of one event-loop turn
 * in one transaction, committed in that turn's check phase; callers acknowledge only after
 * `durable()`. Any other statement — every other method, and any use of `db` (the drizzle
 * handle, also used by SubaccountRevocations) — commits the pending batch first, so nothing
 * uncommitted is ever read or answered.
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
    const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    const res = this.hot.insert.run(m.hash, m.owner, m.namespace, m.timestamp, m.expiry, data);
    if (res.changes > 0) return true;
    this.hot.raiseExpiry.run(m.expiry, m.hash);
    return false;
  }

  /** Drops an account's other messages in a namespace (a public outbox holds one message). */
  clearNamespaceExcept(owner: string, namespace: number, keepHash: string): number {
    return this.db
      .delete(messages)
      .where(and(eq(messages.owner, owner), eq(messages.namespace, namespace), ne(messages.hash, keepHash)))
      .run().changes;
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
    let afterId = 0;
    if (lastHash) {
      const last = this.hot.lastId.get(lastHash, owner, namespace) as { id: number } | undefined;
      if (last) afterId = last.id;
    }
    const cap = (limits.maxCount ?? 10_000) + 1;
    const out: MessageRow[] = [];
    let size = 0;
    // Rows are read one by one and the reading stops at the first that does not fit: a default
    // retrieve from a large inbox returns ~1100 messages of 1 KiB and must not load the 10 001
    // the count cap allows (leaving the loop early resets the statement).
    for (const r of this.hot.after.iterate(owner, namespace, afterId, now, cap) as Iterable<MessageRow>) {
      // Sizes are counted as the base64 the reply carries, as oxenss does.
      const s = Math.ceil(r.data.length / 3) * 4 + r.hash.length;
      if (limits.maxCount !== undefined && out.length >= limits.maxCount)
        return { messages: out, more: true };
      if (out.length > 0 && size + s > limits.maxSize) return { messages: out, more: true };
      out.push(r);
      size += s;
    }
    return { messages: out, more: false };
  }

  /** Deletes the given hashes of an account; returns the ones that existed. */
  deleteHashes(owner: string, hashes: readonly string[]): string[] {
    if (hashes.length === 0) return [];
    const rows = this.db
      .delete(messages)
      .where(and(eq(messages.owner, owner), inArray(messages.hash, [...hashes])))
      .returning({ hash: messages.hash })
      .all();
    return rows.map((r) => r.hash);
  }

  /** Deletes every message (of one namespace, or all), returning hashes grouped by namespace. */
  deleteAll(owner: string, namespace: number | "all"): Record<string, string[]> {
    const rows = this.db
      .delete(messages)
      .where(ownerScope(owner, namespace))
      .returning({ hash: messages.hash, namespace: messages.namespace })
      .all();
    return groupByNamespace(rows);
  }

  deleteBefore(owner: string, namespace: number | "all", before: number): Record<string, string[]> {
    const rows = this.db
      .delete(messages)
      // `timestamp <= before`, as oxenss database.cpp delete_by_timestamp.
      .where(and(ownerScope(owner, namespace), lte(messages.timestamp, before)))
      .returning({ hash: messages.hash, namespace: messages.namespace })
      .all();
    return groupByNamespace(rows);
  }

  /**
   * Sets the expiry of the given messages (one value, or one per hash). `shorten` only lowers,
   * `extend` only raises; others are reported unchanged with their current expiry.
   */
  expire(
    owner: string,
    hashes: readonly string[],
    expiries: readonly number[],
    mode: { shorten: boolean; extend: boolean },
    now: number,
  ): ExpireResult {
    const out: ExpireResult = { updated: [], unchanged: {}, newExpiries: {} };
    this.db.transaction((tx) => {
      hashes.forEach((hash, i) => {
        const target = expiries.length === 1 ? expiries[0]! : expiries[i]!;
        const row = tx
          .select({ expiry: messages.expiry })
          .from(messages)
          .where(and(eq(messages.owner, owner), eq(messages.hash, hash), gt(messages.expiry, now)))
          .get();
        if (!row) return;
        const allowed =
          (mode.shorten && target < row.expiry) ||
          (mode.extend && target > row.expiry) ||
          (!mode.shorten && !mode.extend);
        if (!allowed || target === row.expiry) {
          if (mode.shorten || mode.extend) out.unchanged[hash] = row.expiry;
          else if (target === row.expiry) {
            out.updated.push(hash);
            out.newExpiries[hash] = target;
          }
          return;
        }
        tx.update(messages).set({ expiry: target }).where(eq(messages.hash, hash)).run();
        out.updated.push(hash);
        out.newExpiries[hash] = target;
      });
    });
    return out;
  }

  /** Shortens every later expiry (of one namespace, or all) to `expiry`; returns updated hashes. */
  expireAll(owner: string, namespace: number | "all", expiry: number, now: number): Record<string, string[]> {
    const rows = this.db
      .update(messages)
      .set({ expiry })
      .where(and(ownerScope(owner, namespace), gt(messages.expiry, expiry), gt(messages.expiry, now)))
      .returning({ hash: messages.hash, namespace: messages.namespace })
      .all();
    return groupByNamespace(rows);
  }

  /**
   * The latest expiry among an account's live messages that a delete or expiry change would touch:
   * the given hashes, or (of one namespace, or all) those whose timestamp is at or before
   * `timestampAtMost` (the delete_before rule). Undefined when there are none. (How long a tombstone must be kept.)
   */
  maxExpiry(
    owner: string,
    scope: { hashes: readonly string[] } | { namespace: number | "all"; timestampAtMost: number },
    now: number,
  ): number | undefined {
    if ("hashes" in scope && scope.hashes.length === 0) return undefined;
    const where =
      "hashes" in scope
        ? inArray(messages.hash, [...scope.hashes])
        : and(
            scope.namespace === "all" ? undefined : eq(messages.namespace, scope.namespace),
            lte(messages.timestamp, scope.timestampAtMost),
          );
    const row = this.db
      .select({ m: sql<number | null>`max(${messages.expiry})` })
      .from(messages)
      .where(and(eq(messages.owner, owner), where, gt(messages.expiry, now)))
      .get();
    return row?.m ?? undefined;
  }

  expiries(owner: string, hashes: readonly string[], now: number): Record<string, number> {
    if (hashes.length === 0) return {};
    const rows = this.db
      .select({ hash: messages.hash, expiry: messages.expiry })
      .from(messages)
      .where(and(eq(messages.owner, owner), inArray(messages.hash, [...hashes]), gt(messages.expiry, now)))
      .all();
    return Object.fromEntries(rows.map((r) => [r.hash, r.expiry]));
  }

  /**
   * Removes expired rows, the soonest-expired first, at most `limit` (one statement holds the
   * event loop: a node back from days away sweeps its backlog in steps); returns how many.
   */
  sweep(now: number, limit = Number.MAX_SAFE_INTEGER): number {
    this.flush();
    return this.hot.sweep.run(now, limit).changes;
  }

  /**
   * Live messages stored after row `afterId` (of the accounts `owners` only, when given), in row
   * (arrival) order, at most `limit`: the pages catch-up and rebalancing walk the table in. `id`
   * is the cursor for the next page.
   */
  liveAfter(
    afterId: number,
    now: number,
    limit: number,
    owners?: readonly string[],
  ): (StoredMessage & { id: number })[] {
    if (owners?.length === 0) return [];
    return this.db
      .select()
      .from(messages)
      .where(
        and(
          owners ? inArray(messages.owner, [...owners]) : undefined,
          gt(messages.id, afterId),
          gt(messages.expiry, now),
        ),
      )
      .orderBy(asc(messages.id))
      .limit(limit)
      .all()
      .map((r) => ({ ...toStored(r), id: r.id }));
  }

  /**
   * Accounts holding messages here, in id order after `afterOwner`, at most `limit`: read from the
   * owner index alone, so rebalancing finds the accounts that moved without reading messages.
   */
  ownersAfter(afterOwner: string, limit: number): string[] {
    return this.db
      .selectDistinct({ owner: messages.owner })
      .from(messages)
      .where(gt(messages.owner, afterOwner))
      .orderBy(asc(messages.owner))
      .limit(limit)
      .all()
      .map((r) => r.owner);
  }

  /** Deletes messages by hash, whatever their owner (messages moved to another swarm). */
  deleteByHash(hashes: readonly string[]): number {
    let n = 0;
    this.db.transaction((tx) => {
      for (let i = 0; i < hashes.length; i += 500) {
        n += tx
          .delete(messages)
          .where(inArray(messages.hash, hashes.slice(i, i + 500)))
          .run().changes;
      }
    });
    return n;
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

function toStored(r: MessageRow): StoredMessage {
  return {
    hash: r.hash,
    owner: r.owner,
    namespace: r.namespace,
    timestamp: r.timestamp,
    expiry: r.expiry,
    data: new Uint8Array(r.data),
  };
}

/** An owner's messages, of one namespace or of all. */
function ownerScope(owner: string, namespace: number | "all") {
  return namespace === "all"
    ? eq(messages.owner, owner)
    : and(eq(messages.owner, owner), eq(messages.namespace, namespace));
}

function groupByNamespace(rows: { hash: string; namespace: number }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    const key = String(r.namespace);
    out[key] = [...(out[key] ?? []), r.hash];
  }
  return out;
}
