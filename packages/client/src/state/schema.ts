import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The client's SQLite store. Times are unix milliseconds.

export const lastHashes = sqliteTable(
  "last_hashes",
  {
    node: text("node").notNull(),
    namespace: integer("namespace").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.node, t.namespace] })],
);

export const seenHashes = sqliteTable(
  "seen_hashes",
  {
    hash: text("hash").primaryKey(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("seen_hashes_expiry").on(t.expiresAt)],
);

export const conversations = sqliteTable("conversations", {
  sessionId: text("session_id").primaryKey(),
  approved: integer("approved", { mode: "boolean" }).notNull(),
  approvedMe: integer("approved_me", { mode: "boolean" }).notNull(),
  name: text("name"),
  createdAt: integer("created_at").notNull(),
  lastMessageAt: integer("last_message_at").notNull(),
});

export const blockedIds = sqliteTable("blocked", {
  sessionId: text("session_id").primaryKey(),
});

/** Small values: the node cache, the clock offset, and apps' own `app:` keys (JSON text). */
export const kv = sqliteTable("kv", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** Hand-written DDL, run at open (the tables above, in the order they reference nothing). */
export const CREATE_STATE_SQL = [
  `CREATE TABLE IF NOT EXISTS last_hashes (
    node TEXT NOT NULL, namespace INTEGER NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (node, namespace))`,
  "CREATE TABLE IF NOT EXISTS seen_hashes (hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)",
  "CREATE INDEX IF NOT EXISTS seen_hashes_expiry ON seen_hashes (expires_at)",
  `CREATE TABLE IF NOT EXISTS conversations (
    session_id TEXT PRIMARY KEY, approved INTEGER NOT NULL, approved_me INTEGER NOT NULL, name TEXT,
    created_at INTEGER NOT NULL, last_message_at INTEGER NOT NULL)`,
  "CREATE TABLE IF NOT EXISTS blocked (session_id TEXT PRIMARY KEY)",
  "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
];
