import type Database from "better-sqlite3";
import type { NewMessage } from "./store.ts";

/** The per-request queries of store and retrieve, as plain prepared statements. */
export interface HotStatements {
  insert: Database.Statement;
  clearOthers: Database.Statement;
  raiseExpiry: Database.Statement;
  sweep: Database.Statement;
  get: Database.Statement;
  firstPage: Database.Statement;
  nextPage: Database.Statement;
}

/**
 * Rows a retrieve reads per statement call. The page size is a literal in the SQL: bound as a
 * parameter (`LIMIT ?`) it made SQLite re-plan the statement on every call, which tripled the
 * cost of a one-message retrieve (bench/retrieve-query.bench.ts).
 */
export const RETRIEVE_PAGE = 256;

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
    // The messages after `last` (its hash, in the same account namespace), or from the start
    // when no such message is stored: one statement for the usual retrieve.
    firstPage: db.prepare(
      `SELECT ${columns} FROM messages WHERE owner = @owner AND namespace = @namespace AND id > coalesce((SELECT id FROM messages WHERE hash = @last AND owner = @owner AND namespace = @namespace), 0) AND expiry > @now ORDER BY id LIMIT ${RETRIEVE_PAGE}`,
    ),
    nextPage: db.prepare(
      `SELECT ${columns} FROM messages WHERE owner = ? AND namespace = ? AND id > ? AND expiry > ? ORDER BY id LIMIT ${RETRIEVE_PAGE}`,
    ),
  };
}

/**
 * Inserts a message; false when its hash is already stored, whose expiry is then raised if this
 * one's is later (the owner's connection and a cluster worker's both store through this).
 */
export function insertMessage(st: HotStatements, m: NewMessage): boolean {
  const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  if (st.insert.run(m.hash, m.owner, m.namespace, m.timestamp, m.expiry, data).changes > 0) return true;
  st.raiseExpiry.run(m.expiry, m.hash);
  return false;
}
