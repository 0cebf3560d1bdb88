import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresPool } from "@session/service-kit";
import Database from "better-sqlite3";
import { asc, desc, gt, lt, type SQL, sql } from "drizzle-orm";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqlite } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/postgres-js";
import { migrate as migratePg } from "drizzle-orm/postgres-js/migrator";
import type postgres from "postgres";
import { pgBlocks, pgEvents, pgMeta, sqliteBlocks, sqliteEvents, sqliteMeta } from "./schema.ts";

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), "migrations");

export interface StoredEvent {
  blockNumber: number;
  logIndex: number;
  blockHash: string;
  txHash: string;
  /** "registry" or "names". */
  contract: string;
  name: string;
  /** JSON of the decoded arguments (bigints as decimal strings). */
  args: string;
}

export interface BlockRef {
  number: number;
  hash: string;
}

export interface Batch {
  events: StoredEvent[];
  blocks: BlockRef[];
  cursor: number;
}

/** Everything the indexer persists; one transaction per batch so a crash never half-applies one. */
export interface EventStore {
  /** Last fully processed block, or null before the first batch. */
  cursor(): Promise<number | null>;
  commitBatch(batch: Batch): Promise<void>;
  /** Forgets everything after `block` (a reorg's fork point). */
  rollbackTo(block: number): Promise<void>;
  /** Most recent processed block hashes, newest first. */
  recentBlocks(limit: number): Promise<BlockRef[]>;
  pruneBlocksBelow(block: number): Promise<void>;
  /** Every event in chain order, in pages. */
  eventsAfter(
    position: { blockNumber: number; logIndex: number } | null,
    limit: number,
  ): Promise<StoredEvent[]>;
  eventCount(): Promise<number>;
  /** A stored setting (e.g. the chain id, so a restart without RPC still checks key proofs). */
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

const CURSOR = "cursor";

type EventsTable = typeof sqliteEvents | typeof pgEvents;
type Position = { blockNumber: number; logIndex: number };

/** The events after `position` (all of them when there is none). */
const after = (t: EventsTable, position: Position | null) =>
  position
    ? sql`(${t.blockNumber} > ${position.blockNumber} OR (${t.blockNumber} = ${position.blockNumber} AND ${t.logIndex} > ${position.logIndex}))`
    : undefined;

/** A dialect's select of events, made dynamic so `eventsPage` can add to it. */
interface EventsSelect<Q> {
  where(condition: SQL | undefined): Q;
  orderBy(...columns: SQL[]): Q;
  limit(n: number): Q;
}

/** Up to `limit` events after `position`, in chain order: by block, then log index within it. */
const eventsPage = <Q extends EventsSelect<Q>>(
  q: Q,
  t: EventsTable,
  position: Position | null,
  limit: number,
) => q.where(after(t, position)).orderBy(asc(t.blockNumber), asc(t.logIndex)).limit(limit);

export class SqliteEventStore implements EventStore {
  private constructor(
    private readonly sqlite: Database.Database,
    private readonly db: ReturnType<typeof drizzleSqlite>,
  ) {}

  static open(path: string): SqliteEventStore {
    const sqlite = new Database(path);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    const db = drizzleSqlite(sqlite);
    migrateSqlite(db, { migrationsFolder: join(MIGRATIONS, "sqlite") });
    return new SqliteEventStore(sqlite, db);
  }

  async cursor() {
    const row = this.db.select().from(sqliteMeta).where(sql`${sqliteMeta.key} = ${CURSOR}`).get();
    return row ? Number(row.value) : null;
  }

  async commitBatch(batch: Batch) {
    this.db.transaction((tx) => {
      for (let i = 0; i < batch.events.length; i += 500) {
        tx.insert(sqliteEvents)
          .values(batch.events.slice(i, i + 500))
          .onConflictDoNothing()
          .run();
      }
      if (batch.blocks.length > 0) {
        tx.insert(sqliteBlocks)
          .values(batch.blocks)
          .onConflictDoUpdate({ target: sqliteBlocks.number, set: { hash: sql`excluded.hash` } })
          .run();
      }
      tx.insert(sqliteMeta)
        .values({ key: CURSOR, value: String(batch.cursor) })
        .onConflictDoUpdate({ target: sqliteMeta.key, set: { value: String(batch.cursor) } })
        .run();
    });
  }

  async rollbackTo(block: number) {
    this.db.transaction((tx) => {
      tx.delete(sqliteEvents).where(gt(sqliteEvents.blockNumber, block)).run();
      tx.delete(sqliteBlocks).where(gt(sqliteBlocks.number, block)).run();
      tx.insert(sqliteMeta)
        .values({ key: CURSOR, value: String(block) })
        .onConflictDoUpdate({ target: sqliteMeta.key, set: { value: String(block) } })
        .run();
    });
  }

  async recentBlocks(limit: number) {
    return this.db.select().from(sqliteBlocks).orderBy(desc(sqliteBlocks.number)).limit(limit).all();
  }

  async pruneBlocksBelow(block: number) {
    this.db.delete(sqliteBlocks).where(lt(sqliteBlocks.number, block)).run();
  }

  async eventsAfter(position: Position | null, limit: number) {
    return eventsPage(this.db.select().from(sqliteEvents).$dynamic(), sqliteEvents, position, limit).all();
  }

  async eventCount() {
    const row = this.db.select({ n: sql<number>`count(*)` }).from(sqliteEvents).get();
    return Number(row?.n ?? 0);
  }

  async getMeta(key: string) {
    const row = this.db.select().from(sqliteMeta).where(sql`${sqliteMeta.key} = ${key}`).get();
    return row?.value ?? null;
  }

  async setMeta(key: string, value: string) {
    this.db
      .insert(sqliteMeta)
      .values({ key, value })
      .onConflictDoUpdate({ target: sqliteMeta.key, set: { value } })
      .run();
  }

  async close() {
    this.sqlite.close();
  }
}

export class PgEventStore implements EventStore {
  private constructor(
    private readonly client: postgres.Sql,
    private readonly db: ReturnType<typeof drizzlePg>,
  ) {}

  /**
   * Connects and migrates; `schema` (created if missing) isolates e.g. a test run;
   * `applicationName` (default "sns-indexer") is what pg_stat_activity shows.
   */
  static async open(url: string, schema?: string, applicationName = "sns-indexer"): Promise<PgEventStore> {
    const client = postgresPool(url, {
      max: 4,
      applicationName,
      ...(schema ? { schema } : {}),
    });
    try {
      if (schema) await client.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      const db = drizzlePg(client);
      await migratePg(db, {
        migrationsFolder: join(MIGRATIONS, "pg"),
        ...(schema ? { migrationsSchema: schema } : {}),
      });
      return new PgEventStore(client, db);
    } catch (err) {
      await client.end({ timeout: 1 });
      throw err;
    }
  }

  async cursor() {
    const rows = await this.db.select().from(pgMeta).where(sql`${pgMeta.key} = ${CURSOR}`);
    return rows[0] ? Number(rows[0].value) : null;
  }

  async commitBatch(batch: Batch) {
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < batch.events.length; i += 500) {
        await tx
          .insert(pgEvents)
          .values(batch.events.slice(i, i + 500))
          .onConflictDoNothing();
      }
      if (batch.blocks.length > 0) {
        await tx
          .insert(pgBlocks)
          .values(batch.blocks)
          .onConflictDoUpdate({ target: pgBlocks.number, set: { hash: sql`excluded.hash` } });
      }
      await tx
        .insert(pgMeta)
        .values({ key: CURSOR, value: String(batch.cursor) })
        .onConflictDoUpdate({ target: pgMeta.key, set: { value: String(batch.cursor) } });
    });
  }

  async rollbackTo(block: number) {
    await this.db.transaction(async (tx) => {
      await tx.delete(pgEvents).where(gt(pgEvents.blockNumber, block));
      await tx.delete(pgBlocks).where(gt(pgBlocks.number, block));
      await tx
        .insert(pgMeta)
        .values({ key: CURSOR, value: String(block) })
        .onConflictDoUpdate({ target: pgMeta.key, set: { value: String(block) } });
    });
  }

  async recentBlocks(limit: number) {
    return this.db.select().from(pgBlocks).orderBy(desc(pgBlocks.number)).limit(limit);
  }

  async pruneBlocksBelow(block: number) {
    await this.db.delete(pgBlocks).where(lt(pgBlocks.number, block));
  }

  async eventsAfter(position: Position | null, limit: number) {
    return eventsPage(this.db.select().from(pgEvents).$dynamic(), pgEvents, position, limit);
  }

  async eventCount() {
    const rows = await this.db.select({ n: sql<string>`count(*)` }).from(pgEvents);
    return Number(rows[0]?.n ?? 0);
  }

  async getMeta(key: string) {
    const rows = await this.db.select().from(pgMeta).where(sql`${pgMeta.key} = ${key}`);
    return rows[0]?.value ?? null;
  }

  async setMeta(key: string, value: string) {
    await this.db
      .insert(pgMeta)
      .values({ key, value })
      .onConflictDoUpdate({ target: pgMeta.key, set: { value } });
  }

  /** Waits up to a second for queries in flight (a stop must not hang on a stuck one), then cuts them. */
  async close() {
    await this.client.end({ timeout: 1 });
  }
}

/** `sqlite:<path>` (default) or `postgres://…`. */
export async function openEventStore(
  url: string,
  options: { schema?: string; applicationName?: string } = {},
): Promise<EventStore> {
  if (url.startsWith("sqlite:")) return SqliteEventStore.open(url.slice("sqlite:".length));
  if (/^postgres(ql)?:\/\//.test(url)) return PgEventStore.open(url, options.schema, options.applicationName);
  throw new Error(
    `unsupported DATABASE_URL scheme "${url.split(":")[0]}" (use sqlite:<path> or postgres://…)`,
  );
}
