import { bigint, index as pgIndex, pgTable, text as pgText } from "drizzle-orm/pg-core";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

// One logical table, declared once per dialect. Times are unix milliseconds so both dialects
// store the same integers and the injected clock compares directly.

export const sqliteFiles = sqliteTable(
  "files",
  {
    id: text("id").primaryKey(),
    size: integer("size").notNull(),
    uploadedMs: integer("uploaded_ms").notNull(),
    expiresMs: integer("expires_ms").notNull(),
    filename: text("filename"),
  },
  (t) => [index("files_expires").on(t.expiresMs)],
);

export const pgFiles = pgTable(
  "files",
  {
    id: pgText("id").primaryKey(),
    size: bigint("size", { mode: "number" }).notNull(),
    uploadedMs: bigint("uploaded_ms", { mode: "number" }).notNull(),
    expiresMs: bigint("expires_ms", { mode: "number" }).notNull(),
    filename: pgText("filename"),
  },
  (t) => [pgIndex("files_expires").on(t.expiresMs)],
);

/** Hand-written DDL (both dialects accept it), run at open: the schema is one small table. */
export const CREATE_FILES_SQL = [
  `CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    uploaded_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    filename TEXT
  )`,
  "CREATE INDEX IF NOT EXISTS files_expires ON files (expires_ms)",
];
