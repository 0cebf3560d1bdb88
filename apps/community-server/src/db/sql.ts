import { postgresPool } from "@session/service-kit";
import Database from "better-sqlite3";
import type { SQL } from "drizzle-orm";
import { type BetterSQLite3Database, drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePg, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
import { createTablesSql, type Dialect } from "./schema.ts";

/*
 * One small executor over drizzle for both dialects: the domain writes portable SQL with drizzle's
 * `sql` template (parameters bound per dialect) and runs it through `all` / `exec` / `tx`. Every
 * write that needs a count or an id uses RETURNING, which SQLite (≥ 3.35) and PostgreSQL share.
 */
export interface Db {
  readonly dialect: Dialect;
  /** Rows of a query (or of a write with RETURNING). */
  all<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  /** First row or undefined. */
  one<T = Record<string, unknown>>(query: SQL): Promise<T | undefined>;
  /** Runs a write; resolves to the number of rows changed. */
  exec(query: SQL): Promise<number>;
  /** Runs `fn` in one transaction (rolled back if it throws). */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

class SqliteDb implements Db {
  readonly dialect = "sqlite" as const;
  constructor(
    private readonly drizzle: BetterSQLite3Database,
    private readonly owner: SqliteLock,
    private readonly inTx: boolean,
  ) {}

  private run<T>(fn: () => T): Promise<T> {
    // Outside a transaction, wait for any open one: better-sqlite3 has one connection, and a
    // statement issued while another request's transaction is open would join it.
    return this.inTx ? Promise.resolve().then(fn) : this.owner.exclusive(async () => fn());
  }

  all<T>(query: SQL): Promise<T[]> {
    return this.run(() => this.drizzle.all<T>(query));
  }
  async one<T>(query: SQL): Promise<T | undefined> {
    return (await this.all<T>(query))[0];
  }
  exec(query: SQL): Promise<number> {
    return this.run(() => this.drizzle.run(query).changes);
  }
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (this.inTx) return fn(this);
    return this.owner.exclusive(async () => {
      const sqlite = this.owner.sqlite;
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        const out = await fn(new SqliteDb(this.drizzle, this.owner, true));
        sqlite.exec("COMMIT");
        return out;
      } catch (err) {
        sqlite.exec("ROLLBACK");
        throw err;
      }
    });
  }
  async close() {
    await this.owner.exclusive(async () => this.owner.sqlite.close());
  }
}

class SqliteLock {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(readonly sqlite: Database.Database) {}
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

class PgDb implements Db {
  readonly dialect = "postgres" as const;
  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: a drizzle pg database or transaction
    private readonly drizzle: PostgresJsDatabase | any,
    private readonly client: postgres.Sql | undefined,
  ) {}
  async all<T>(query: SQL): Promise<T[]> {
    const rows = await this.drizzle.execute(query);
    return Array.from(rows) as T[];
  }
  async one<T>(query: SQL): Promise<T | undefined> {
    return (await this.all<T>(query))[0];
  }
  async exec(query: SQL): Promise<number> {
    const res = await this.drizzle.execute(query);
    return Number(res.count ?? 0);
  }
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (!this.client) return fn(this);
    // biome-ignore lint/suspicious/noExplicitAny: drizzle's transaction type
    return this.drizzle.transaction((tx: any) => fn(new PgDb(tx, undefined)));
  }
  async close() {
    await this.client?.end({ timeout: 5 });
  }
}

export function openSqlite(path: string): Db {
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  for (const stmt of createTablesSql("sqlite")) sqlite.exec(stmt);
  return new SqliteDb(drizzleSqlite(sqlite), new SqliteLock(sqlite), false);
}

/** Connects and creates the tables; `schema` (created if missing) isolates e.g. a test run. */
export async function openPostgres(url: string, schema?: string): Promise<Db> {
  const client = postgresPool(url, {
    max: 10,
    applicationName: "session-community-server",
    ...(schema ? { schema } : {}),
  });
  try {
    if (schema) await client.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    for (const stmt of createTablesSql("postgres")) await client.unsafe(stmt);
  } catch (err) {
    await client.end({ timeout: 1 });
    throw err;
  }
  return new PgDb(drizzlePg(client), client);
}

/** `sqlite:<path>` or `postgres://…`. */
export async function openDb(url: string, options: { schema?: string } = {}): Promise<Db> {
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.schema);
  throw new Error(`unsupported DATABASE_URL scheme: ${url.split(":")[0]}`);
}
