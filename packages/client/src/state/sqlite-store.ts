import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { and, asc, eq, gte, lt } from "drizzle-orm";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { blockedIds, CREATE_STATE_SQL, conversations, kv, lastHashes, seenHashes } from "./schema.ts";
import type { ClientStore, ConfigDumpRecord, Conversation, NodeCache } from "./store.ts";

const NODES_KEY = "sys:nodes";
const CLOCK_KEY = "sys:clock_offset";
const APP = "app:";
const CONFIG = "sys:config:";

/** `<dataDir>/state-<first 16 hex of the Session ID>.db`: one file per identity. */
export function statePath(dataDir: string, sessionId: string): string {
  return join(dataDir, `state-${sessionId.slice(2, 18)}.db`);
}

/**
 * Opens (creating if needed) the SQLite store of `sessionId` in `dataDir`. The file is readable
 * by its owner only (0600): it names every contact. `SessionClient` opens one itself when given
 * `dataDir`; open it yourself to share it or read it without a client.
 *
 * @example
 * ```ts
 * import { openSqliteStore, SessionClient } from "@session/client";
 *
 * const store = openSqliteStore("./session-data", me.sessionId);
 * const client = new SessionClient({ identity: me, seeds: ["http://127.0.0.1:22023"], store });
 * console.log(await store.conversations());
 * ```
 */
export function openSqliteStore(dataDir: string, sessionId: string): SqliteClientStore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = statePath(dataDir, sessionId);
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
  return new SqliteClientStore(new Database(path));
}

/** The default {@link ClientStore}: SQLite through drizzle. */
export class SqliteClientStore implements ClientStore {
  private readonly db: BetterSQLite3Database;

  constructor(private readonly sqlite: Database.Database) {
    sqlite.pragma("journal_mode = WAL");
    for (const stmt of CREATE_STATE_SQL) sqlite.exec(stmt);
    this.db = drizzle(sqlite);
  }

  async lastHash(node: string, namespace: number) {
    return this.db
      .select({ hash: lastHashes.hash })
      .from(lastHashes)
      .where(and(eq(lastHashes.node, node), eq(lastHashes.namespace, namespace)))
      .get()?.hash;
  }

  async setLastHash(node: string, namespace: number, hash: string) {
    this.db
      .insert(lastHashes)
      .values({ node, namespace, hash })
      .onConflictDoUpdate({ target: [lastHashes.node, lastHashes.namespace], set: { hash } })
      .run();
  }

  async markSeen(hash: string, expiresAt: number) {
    const r = this.db.insert(seenHashes).values({ hash, expiresAt }).onConflictDoNothing().run();
    return r.changes > 0;
  }

  async pruneSeen(now: number) {
    this.db.delete(seenHashes).where(lt(seenHashes.expiresAt, now)).run();
  }

  async conversation(sessionId: string) {
    const row = this.db.select().from(conversations).where(eq(conversations.sessionId, sessionId)).get();
    return row ? fromRow(row) : undefined;
  }

  async putConversation(c: Conversation) {
    const row = { ...c, name: c.name ?? null };
    this.db
      .insert(conversations)
      .values(row)
      .onConflictDoUpdate({ target: conversations.sessionId, set: row })
      .run();
  }

  async deleteConversation(sessionId: string) {
    this.db.delete(conversations).where(eq(conversations.sessionId, sessionId)).run();
  }

  async conversations() {
    return this.db.select().from(conversations).orderBy(asc(conversations.createdAt)).all().map(fromRow);
  }

  async isBlocked(sessionId: string) {
    return this.db.select().from(blockedIds).where(eq(blockedIds.sessionId, sessionId)).get() !== undefined;
  }

  async setBlocked(sessionId: string, blocked: boolean) {
    if (blocked) this.db.insert(blockedIds).values({ sessionId }).onConflictDoNothing().run();
    else this.db.delete(blockedIds).where(eq(blockedIds.sessionId, sessionId)).run();
  }

  async blocked() {
    return this.db
      .select()
      .from(blockedIds)
      .orderBy(asc(blockedIds.sessionId))
      .all()
      .map((r) => r.sessionId);
  }

  async nodeCache() {
    return this.get<NodeCache>(NODES_KEY);
  }

  async saveNodeCache(cache: NodeCache) {
    this.put(NODES_KEY, cache);
  }

  async configDump(name: string) {
    return this.get<ConfigDumpRecord>(CONFIG + name);
  }

  async saveConfigDump(name: string, dump: ConfigDumpRecord) {
    this.put(CONFIG + name, dump);
  }

  async clockOffset() {
    return this.get<number>(CLOCK_KEY);
  }

  async setClockOffset(ms: number) {
    this.put(CLOCK_KEY, ms);
  }

  async getValue<T>(key: string) {
    return this.get<T>(APP + key);
  }

  async setValue(key: string, value: unknown) {
    this.put(APP + key, value);
  }

  async deleteValue(key: string) {
    this.db
      .delete(kv)
      .where(eq(kv.key, APP + key))
      .run();
  }

  async keys(prefix: string) {
    const from = APP + prefix;
    return this.db
      .select({ key: kv.key })
      .from(kv)
      .where(and(gte(kv.key, from), lt(kv.key, `${from}\uffff`)))
      .orderBy(asc(kv.key))
      .all()
      .map((r) => r.key.slice(APP.length));
  }

  async close() {
    this.sqlite.close();
  }

  private get<T>(key: string): T | undefined {
    const row = this.db.select().from(kv).where(eq(kv.key, key)).get();
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  private put(key: string, value: unknown): void {
    const text = JSON.stringify(value);
    this.db
      .insert(kv)
      .values({ key, value: text })
      .onConflictDoUpdate({ target: kv.key, set: { value: text } })
      .run();
  }
}

function fromRow(r: typeof conversations.$inferSelect): Conversation {
  return {
    sessionId: r.sessionId,
    approved: r.approved,
    approvedMe: r.approvedMe,
    ...(r.name !== null ? { name: r.name } : {}),
    createdAt: r.createdAt,
    lastMessageAt: r.lastMessageAt,
  };
}
