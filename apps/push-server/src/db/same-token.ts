import { and, eq, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

type TokenColumns = { service: SQLiteColumn | PgColumn; token: SQLiteColumn | PgColumn };

/** The rows of one device token (a provider's service and token), in either dialect's table. */
export function sameToken(table: TokenColumns, service: string, token: string): SQL | undefined {
  return and(eq(table.service, service), eq(table.token, token));
}
