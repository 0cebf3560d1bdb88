import {
  bigint,
  index as pgIndex,
  integer as pgInteger,
  primaryKey as pgPrimaryKey,
  pgTable,
  text as pgText,
} from "drizzle-orm/pg-core";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/*
 * One logical table for services that keep it in SQLite or PostgreSQL: its columns are listed
 * once, by kind, and become a drizzle table per dialect and, for services that create their
 * tables by hand at open, the DDL. A column's SQL name is its key in snake_case
 * (`sessionEd25519` → `session_ed25519`). Columns are NOT NULL unless their kind says otherwise.
 */

/** SQLite column per kind (integers are SQLite's 64-bit INTEGER). */
const sqliteKinds = {
  text: (name: string) => text(name).notNull(),
  textOrNull: (name: string) => text(name),
  textKey: (name: string) => text(name).primaryKey(),
  int: (name: string) => integer(name).notNull(),
  int32: (name: string) => integer(name).notNull(),
  intKey: (name: string) => integer(name).primaryKey(),
  serial: (name: string) => integer(name).primaryKey({ autoIncrement: true }),
};

/** PostgreSQL column per kind: `int` is a BIGINT read as a JS number, `int32` an INTEGER. */
const pgKinds = {
  text: (name: string) => pgText(name).notNull(),
  textOrNull: (name: string) => pgText(name),
  textKey: (name: string) => pgText(name).primaryKey(),
  int: (name: string) => bigint(name, { mode: "number" }).notNull(),
  int32: (name: string) => pgInteger(name).notNull(),
  intKey: (name: string) => bigint(name, { mode: "number" }).primaryKey(),
  serial: (name: string) => bigint(name, { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
};

/** Hand-written DDL per kind: one text both dialects accept, except the auto-increment key. */
const ddlKinds: Record<ColumnKind, string | Record<Dialect, string>> = {
  text: "TEXT NOT NULL",
  textOrNull: "TEXT",
  textKey: "TEXT PRIMARY KEY",
  int: "BIGINT NOT NULL",
  int32: "INTEGER NOT NULL",
  intKey: "BIGINT PRIMARY KEY",
  serial: {
    sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT",
    pg: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
  },
};

export type ColumnKind = keyof typeof sqliteKinds & keyof typeof pgKinds;
export type Dialect = "sqlite" | "pg";
export type Columns = Record<string, ColumnKind>;

export interface TableExtras<C extends Columns> {
  /** A primary key over several columns. */
  primaryKey?: readonly (keyof C & string)[];
  /** Indexes by name. */
  indexes?: Readonly<Record<string, readonly (keyof C & string)[]>>;
}

type SqliteColumns<C extends Columns> = { [K in keyof C]: ReturnType<(typeof sqliteKinds)[C[K]]> };
type PgColumns<C extends Columns> = { [K in keyof C]: ReturnType<(typeof pgKinds)[C[K]]> };

/** `sessionEd25519` → `session_ed25519`. */
export const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function build<C extends Columns, K extends Record<ColumnKind, (name: string) => unknown>>(
  columns: C,
  kinds: K,
) {
  return Object.fromEntries(Object.entries(columns).map(([key, kind]) => [key, kinds[kind](snakeCase(key))]));
}

type SomeColumns = [never, ...never[]];

/** A dialect's composite primary key and index builders, as `extraConfig` calls them. */
interface Constraints {
  primaryKey(config: { columns: SomeColumns }): unknown;
  index(name: string): { on(...columns: SomeColumns): unknown };
}

/**
 * The drizzle extra-config callback of `extras` in one dialect. It finds the built columns by
 * key, which their static types cannot follow, hence the casts.
 */
function extraConfig<C extends Columns>(extras: TableExtras<C>, d: Constraints) {
  return (t: object): never[] => {
    const cols = (keys: readonly string[]) =>
      keys.map((k) => (t as Record<string, never>)[k]!) as unknown as SomeColumns;
    return [
      ...(extras.primaryKey ? [d.primaryKey({ columns: cols(extras.primaryKey) })] : []),
      ...Object.entries(extras.indexes ?? {}).map(([n, ks]) => d.index(n).on(...cols(ks))),
    ] as never[];
  };
}

/** Both dialects' drizzle tables of one logical table. */
export function dualTable<C extends Columns>(name: string, columns: C, extras: TableExtras<C> = {}) {
  return {
    sqlite: sqliteTable(
      name,
      build(columns, sqliteKinds) as SqliteColumns<C>,
      extraConfig(extras, { primaryKey, index }),
    ),
    pg: pgTable(
      name,
      build(columns, pgKinds) as PgColumns<C>,
      extraConfig(extras, { primaryKey: pgPrimaryKey, index: pgIndex }),
    ),
  };
}

/**
 * `CREATE TABLE IF NOT EXISTS` and `CREATE INDEX IF NOT EXISTS` statements for a table given to
 * `dualTable`, for services that create their tables at open rather than by migration.
 */
export function createTableSql<C extends Columns>(
  name: string,
  columns: C,
  dialect: Dialect,
  extras: TableExtras<C> = {},
): string[] {
  const lines = Object.entries(columns).map(([key, kind]) => {
    const ddl = ddlKinds[kind];
    return `${snakeCase(key)} ${typeof ddl === "string" ? ddl : ddl[dialect]}`;
  });
  if (extras.primaryKey) lines.push(`PRIMARY KEY (${extras.primaryKey.map(snakeCase).join(", ")})`);
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (\n    ${lines.join(",\n    ")}\n  )`,
    ...Object.entries(extras.indexes ?? {}).map(
      ([n, ks]) => `CREATE INDEX IF NOT EXISTS ${n} ON ${name} (${ks.map(snakeCase).join(", ")})`,
    ),
  ];
}
