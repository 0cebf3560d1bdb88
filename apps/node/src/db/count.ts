import { type SQL, sql } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** Rows of `table` matching `where` (all rows without it), read synchronously. */
export function countRows(
  db: BetterSQLite3Database<Record<string, unknown>>,
  table: SQLiteTable,
  where?: SQL,
): number {
  const row = db.select({ n: sql<number>`count(*)` }).from(table).where(where).get();
  return Number(row?.n ?? 0);
}
