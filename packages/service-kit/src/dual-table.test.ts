import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { createTableSql, dualTable, snakeCase } from "./dual-table.ts";

const columns = { id: "serial", sessionEd25519: "textOrNull", logIndex: "int32", sizeMs: "int" } as const;
const extras = { indexes: { t_size: ["sizeMs", "id"] } } as const;

describe("dualTable", () => {
  it("names each column by its key in snake_case", () => {
    expect(snakeCase("sessionEd25519")).toBe("session_ed25519");
    expect(snakeCase("nextAttemptMs")).toBe("next_attempt_ms");
    const { sqlite, pg } = dualTable("t", columns, extras);
    for (const c of [sqliteConfig(sqlite), pgConfig(pg)])
      expect(c.columns.map((x) => x.name)).toEqual(["id", "session_ed25519", "log_index", "size_ms"]);
  });

  it("maps each kind to its dialect's type and constraints", () => {
    const { sqlite, pg } = dualTable("t", columns, extras);
    const kinds = (cols: { getSQLType(): string; notNull: boolean; primary: boolean }[]) =>
      cols.map((x) => [x.getSQLType(), x.notNull, x.primary]);
    expect(kinds(sqliteConfig(sqlite).columns)).toEqual([
      ["integer", true, true],
      ["text", false, false],
      ["integer", true, false],
      ["integer", true, false],
    ]);
    expect(kinds(pgConfig(pg).columns)).toEqual([
      ["bigint", true, true],
      ["text", false, false],
      ["integer", true, false],
      ["bigint", true, false],
    ]);
    expect(pgConfig(pg).columns[0]!.generatedIdentity?.type).toBe("always");
    expect(sqliteConfig(sqlite).indexes.map((i) => i.config.name)).toEqual(["t_size"]);
  });

  it("writes the DDL with the same names, the key per dialect and the indexes", () => {
    expect(createTableSql("t", columns, "sqlite", extras)).toEqual([
      "CREATE TABLE IF NOT EXISTS t (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    session_ed25519 TEXT,\n    log_index INTEGER NOT NULL,\n    size_ms BIGINT NOT NULL\n  )",
      "CREATE INDEX IF NOT EXISTS t_size ON t (size_ms, id)",
    ]);
    expect(createTableSql("t", columns, "pg", extras)[0]).toContain(
      "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,",
    );
    expect(createTableSql("k", { a: "int", b: "text" }, "pg", { primaryKey: ["a", "b"] })[0]).toBe(
      "CREATE TABLE IF NOT EXISTS k (\n    a BIGINT NOT NULL,\n    b TEXT NOT NULL,\n    PRIMARY KEY (a, b)\n  )",
    );
  });
});
