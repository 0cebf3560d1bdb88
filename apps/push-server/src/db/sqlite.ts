import type Database from "better-sqlite3";
import type { SQL } from "drizzle-orm";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** A store on a SQLite connection: WAL journal, its tables created by `ddl`, queried through drizzle. */
export abstract class SqliteTables {
  readonly deletesNeedSpace = true;
  protected readonly db: BetterSQLite3Database;

  constructor(
    protected readonly sqlite: Database.Database,
    ddl: readonly string[],
  ) {
    sqlite.pragma("journal_mode = WAL");
    for (const stmt of ddl) sqlite.exec(stmt);
    this.db = drizzle(sqlite);
  }

  /** Deletes the rows of `table` that `where` selects; returns how many went. */
  protected deleteRows(table: SQLiteTable, where: SQL | undefined): number {
    return this.db.delete(table).where(where).run().changes;
  }
}
