import Database from "better-sqlite3";
import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import {
  CREATE_PENDING_SQL,
  CREATE_SUBS_SQL,
  pgPending,
  pgSubs,
  sqlitePending,
  sqliteSubs,
} from "../src/db/schema.ts";

// The tables are created by hand-written DDL at open but queried through drizzle: both come from
// one column list, and what the DDL creates must be what the drizzle tables describe.

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `push_schema_test_${process.pid}_${Date.now()}`;

interface Shape {
  columns: { name: string; notNull: boolean; primary: boolean }[];
  indexes: { name: string; on: string[] }[];
}

const declared = (c: ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>): Shape => ({
  columns: c.columns.map((x) => ({ name: x.name, notNull: x.notNull || x.primary, primary: x.primary })),
  indexes: c.indexes
    .map((i) => ({ name: i.config.name!, on: i.config.columns.map((y) => (y as { name: string }).name) }))
    .sort((a, b) => a.name.localeCompare(b.name)),
});

function sqliteShape(db: Database.Database, table: string): Shape {
  const cols = db.prepare(`PRAGMA table_info(${table})`).all() as {
    name: string;
    notnull: number;
    pk: number;
  }[];
  const idx = db.prepare(`PRAGMA index_list(${table})`).all() as { name: string; origin: string }[];
  return {
    columns: cols.map((c) => ({ name: c.name, notNull: c.notnull === 1 || c.pk > 0, primary: c.pk > 0 })),
    indexes: idx
      .filter((i) => i.origin === "c")
      .map((i) => ({
        name: i.name,
        on: (db.prepare(`PRAGMA index_info(${i.name})`).all() as { name: string }[]).map((c) => c.name),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

async function pgShape(sql: postgres.Sql, table: string): Promise<Shape> {
  const cols = await sql<{ column_name: string; is_nullable: string }[]>`
    SELECT column_name, is_nullable FROM information_schema.columns
    WHERE table_schema = ${schema} AND table_name = ${table} ORDER BY ordinal_position`;
  const pk = await sql<{ attname: string }[]>`
    SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
    WHERE i.indrelid = ${`"${schema}"."${table}"`}::regclass AND i.indisprimary`;
  const idx = await sql<{ name: string; on: string[] }[]>`
    SELECT c.relname AS name, array_agg(a.attname ORDER BY k.ord) AS on
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = ${`"${schema}"."${table}"`}::regclass AND NOT i.indisprimary
    GROUP BY c.relname ORDER BY c.relname`;
  const primary = new Set(pk.map((p) => p.attname));
  return {
    columns: cols.map((c) => ({
      name: c.column_name,
      notNull: c.is_nullable === "NO",
      primary: primary.has(c.column_name),
    })),
    indexes: idx.map((i) => ({ name: i.name, on: [...i.on] })),
  };
}

const tables = [
  {
    name: "subscriptions",
    sqlite: sqliteSubs,
    pg: pgSubs,
    ddl: { sqlite: CREATE_SUBS_SQL, pg: CREATE_SUBS_SQL },
  },
  { name: "pending_notifications", sqlite: sqlitePending, pg: pgPending, ddl: CREATE_PENDING_SQL },
];

describe("push-server tables: the DDL run at open creates what drizzle declares", () => {
  const sql = postgres(PG_URL, { onnotice: () => {}, max: 1 });
  afterAll(async () => {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end();
  });

  for (const t of tables) {
    it(`${t.name} in SQLite`, () => {
      const db = new Database(":memory:");
      for (const s of t.ddl.sqlite) db.exec(s);
      expect(sqliteShape(db, t.name)).toEqual(declared(sqliteConfig(t.sqlite)));
      db.close();
    });

    it(`${t.name} in PostgreSQL`, async () => {
      await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await sql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL search_path TO "${schema}"`);
        for (const s of t.ddl.pg) await tx.unsafe(s);
      });
      expect(await pgShape(sql, t.name)).toEqual(declared(pgConfig(t.pg)));
    });
  }
});
