import { createTableSql, dualTable } from "@session/service-kit/dual-table";

// One logical table for both dialects. Times are unix milliseconds so both dialects store the
// same integers and the injected clock compares directly.

const filesColumns = {
  id: "textKey",
  size: "int",
  uploadedMs: "int",
  expiresMs: "int",
  filename: "textOrNull",
} as const;
const filesExtras = { indexes: { files_expires: ["expiresMs"] } } as const;

export const { sqlite: sqliteFiles, pg: pgFiles } = dualTable("files", filesColumns, filesExtras);

/** Hand-written DDL (both dialects accept it), run at open: the schema is one small table. */
export const CREATE_FILES_SQL = createTableSql("files", filesColumns, "sqlite", filesExtras);
