import { type DatabaseStore, operationKinds, postgresPool, preparePostgres } from "@session/service-kit";
import Database from "better-sqlite3";
import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import { type BetterSQLite3Database, drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePg, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
import { CREATE_FILES_SQL, pgFiles, sqliteFiles } from "./schema.ts";

export interface FileRecord {
  id: string;
  size: number;
  uploadedMs: number;
  expiresMs: number;
  filename: string | null;
}

/** Metadata of stored files. Blob bytes live in a BlobStore under the same id. */
export interface FileRepo extends DatabaseStore {
  insert(record: FileRecord): Promise<void>;
  /** The record if it exists and has not expired at `nowMs`. */
  getLive(id: string, nowMs: number): Promise<FileRecord | undefined>;
  /** Sets a live file's expiry; returns the updated record, or undefined if none is live. */
  setExpiry(id: string, expiresMs: number, nowMs: number): Promise<FileRecord | undefined>;
  /** Ids whose expiry is at or before `nowMs`, oldest first. */
  expiredIds(nowMs: number, limit: number): Promise<string[]>;
  /** Deletes the row only if it is still expired (an extend may have raced the sweep). */
  deleteExpired(id: string, nowMs: number): Promise<boolean>;
  count(): Promise<number>;
}

/** Which FileRepo methods only read (safe to retry), which write and which only delete, for the fault monitor. */
export const REPO_OPERATIONS = operationKinds<FileRepo>({
  read: ["getLive", "expiredIds", "count"],
  write: ["insert", "setExpiry"],
  delete: ["deleteExpired"],
});

export interface PgRepoOptions {
  /** Created if missing; isolates e.g. a test run. */
  schema?: string;
  /** What pg_stat_activity shows for this service's connections. */
  applicationName?: string;
}

export class SqliteFileRepo implements FileRepo {
  readonly deletesNeedSpace = true;
  private readonly db: BetterSQLite3Database;

  constructor(private readonly sqlite: Database.Database) {
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    for (const stmt of CREATE_FILES_SQL) sqlite.exec(stmt);
    this.db = drizzleSqlite(sqlite);
  }

  static open(path: string): SqliteFileRepo {
    return new SqliteFileRepo(new Database(path));
  }

  async insert(record: FileRecord) {
    this.db.insert(sqliteFiles).values(record).run();
  }

  async getLive(id: string, nowMs: number) {
    return this.db
      .select()
      .from(sqliteFiles)
      .where(and(eq(sqliteFiles.id, id), gt(sqliteFiles.expiresMs, nowMs)))
      .get();
  }

  async setExpiry(id: string, expiresMs: number, nowMs: number) {
    // `.all()`, not `.get()`: an UPDATE … RETURNING commits when the statement runs to its end, and
    // better-sqlite3's get() stops after the first row and ignores that commit's error (SQLITE_FULL).
    return this.db
      .update(sqliteFiles)
      .set({ expiresMs })
      .where(and(eq(sqliteFiles.id, id), gt(sqliteFiles.expiresMs, nowMs)))
      .returning()
      .all()[0];
  }

  async expiredIds(nowMs: number, limit: number) {
    const rows = this.db
      .select({ id: sqliteFiles.id })
      .from(sqliteFiles)
      .where(lte(sqliteFiles.expiresMs, nowMs))
      .orderBy(asc(sqliteFiles.expiresMs))
      .limit(limit)
      .all();
    return rows.map((r) => r.id);
  }

  async deleteExpired(id: string, nowMs: number) {
    const res = this.db
      .delete(sqliteFiles)
      .where(and(eq(sqliteFiles.id, id), lte(sqliteFiles.expiresMs, nowMs)))
      .run();
    return res.changes > 0;
  }

  async count() {
    const row = this.db.select({ n: sql<number>`count(*)` }).from(sqliteFiles).get();
    return Number(row?.n ?? 0);
  }

  async close() {
    this.sqlite.close();
  }
}

export class PgFileRepo implements FileRepo {
  readonly deletesNeedSpace = false;
  private constructor(
    private readonly client: postgres.Sql,
    private readonly db: PostgresJsDatabase,
  ) {}

  /**
   * Connects and creates the table. A connection that dies (the server restarted, an admin
   * terminated it) fails the queries on it; the pool opens a new one for the next query.
   */
  static async open(url: string, options: PgRepoOptions = {}): Promise<PgFileRepo> {
    const { schema } = options;
    const client = postgresPool(url, {
      max: 5,
      applicationName: options.applicationName ?? "session-file-server",
      ...(schema ? { schema } : {}),
    });
    await preparePostgres(client, { schema, ddl: CREATE_FILES_SQL });
    return new PgFileRepo(client, drizzlePg(client));
  }

  async insert(record: FileRecord) {
    await this.db.insert(pgFiles).values(record);
  }

  async getLive(id: string, nowMs: number) {
    const rows = await this.db
      .select()
      .from(pgFiles)
      .where(and(eq(pgFiles.id, id), gt(pgFiles.expiresMs, nowMs)));
    return rows[0];
  }

  async setExpiry(id: string, expiresMs: number, nowMs: number) {
    const rows = await this.db
      .update(pgFiles)
      .set({ expiresMs })
      .where(and(eq(pgFiles.id, id), gt(pgFiles.expiresMs, nowMs)))
      .returning();
    return rows[0];
  }

  async expiredIds(nowMs: number, limit: number) {
    const rows = await this.db
      .select({ id: pgFiles.id })
      .from(pgFiles)
      .where(lte(pgFiles.expiresMs, nowMs))
      .orderBy(asc(pgFiles.expiresMs))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  async deleteExpired(id: string, nowMs: number) {
    const rows = await this.db
      .delete(pgFiles)
      .where(and(eq(pgFiles.id, id), lte(pgFiles.expiresMs, nowMs)))
      .returning({ id: pgFiles.id });
    return rows.length > 0;
  }

  async count() {
    const rows = await this.db.select({ n: sql<string>`count(*)` }).from(pgFiles);
    return Number(rows[0]?.n ?? 0);
  }

  async close() {
    await this.client.end({ timeout: 5 });
  }
}

/** `sqlite:<path>` or `postgres://…`. */
export async function openFileRepo(url: string, options: PgRepoOptions = {}): Promise<FileRepo> {
  if (url.startsWith("sqlite:")) return SqliteFileRepo.open(url.slice("sqlite:".length));
  if (/^postgres(ql)?:\/\//.test(url)) return PgFileRepo.open(url, options);
  throw new Error(`unsupported DATABASE_URL scheme: ${url.split(":")[0]}`);
}
