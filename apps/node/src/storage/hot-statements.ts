import type Database from "better-sqlite3";

/** The per-request queries of store and retrieve, as plain prepared statements. */
export interface HotStatements {
  insert: Database.Statement;
  clearOthers: Database.Statement;
  raiseExpiry: Database.Statement;
  sweep: Database.Statement;
  get: Database.Statement;
  lastId: Database.Statement;
  after: Database.Statement;
}

/** Prepares them once, after migrations: drizzle rebuilds a query's SQL on every call (same SQL it builds). */
export function prepareHotStatements(db: Database.Database): HotStatements {
  const columns = "id, hash, owner, namespace, timestamp, expiry, data";
  return {
    insert: db.prepare(
      "INSERT INTO messages (hash, owner, namespace, timestamp, expiry, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    clearOthers: db.prepare("DELETE FROM messages WHERE owner = ? AND namespace = ? AND hash <> ?"),
    raiseExpiry: db.prepare("UPDATE messages SET expiry = max(expiry, ?) WHERE hash = ?"),
    sweep: db.prepare(
      "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE expiry <= ? ORDER BY expiry LIMIT ?)",
    ),
    get: db.prepare(`SELECT ${columns} FROM messages WHERE hash = ? AND expiry > ?`),
    lastId: db.prepare("SELECT id FROM messages WHERE hash = ? AND owner = ? AND namespace = ?"),
    after: db.prepare(
      `SELECT ${columns} FROM messages WHERE owner = ? AND namespace = ? AND id > ? AND expiry > ? ORDER BY id LIMIT ?`,
    ),
  };
}
