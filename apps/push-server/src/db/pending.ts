import { fromBase64, toBase64 } from "@session/crypto";
import { type DatabaseStore, operationKinds } from "@session/service-kit";
import Database from "better-sqlite3";
import { and, asc, count, eq, inArray, lte, min, notInArray, type SQL } from "drizzle-orm";
import type { PushNotification } from "../notifiers/types.ts";
import { openPgClient, PgTables } from "./pg.ts";
import { sameToken } from "./same-token.ts";
import { CREATE_PENDING_SQL, pgPending, sqlitePending } from "./schema.ts";
import { SqliteTables } from "./sqlite.ts";

/** A notification waiting for its provider. */
export interface PendingNotification extends PushNotification {
  id: number;
  enqueuedMs: number;
  /** Failed attempts so far. */
  attempts: number;
  nextAttemptMs: number;
  lastError: string | null;
}

/**
 * Where the delivery queue keeps notifications until the provider has taken them. One push
 * server process owns a store: rows it is sending are passed back as `skip`, not locked.
 */
export interface PendingStore extends DatabaseStore {
  /** Stores a notification, due at once; returns its id. */
  add(n: PushNotification, nowMs: number): Promise<number>;
  /** Up to `limit` rows due at `nowMs`, earliest next attempt first (then arrival), except `skip`. */
  due(nowMs: number, limit: number, skip: readonly number[]): Promise<PendingNotification[]>;
  /** The earliest next attempt of the rows other than `skip`. */
  nextAttemptMs(skip: readonly number[]): Promise<number | undefined>;
  /** Records a failed attempt and when to try again. */
  retryLater(id: number, attempts: number, nextAttemptMs: number, error: string): Promise<void>;
  remove(id: number): Promise<boolean>;
  /** Drops every pending notification of a device token (the provider said it is invalid). */
  removeToken(service: string, token: string): Promise<number>;
  /** Deletes the `n` oldest rows by arrival, except `skip`; returns how many went. */
  dropOldest(n: number, skip: readonly number[]): Promise<number>;
  count(): Promise<number>;
}

type Row = typeof sqlitePending.$inferSelect;
type PendingTable = typeof sqlitePending | typeof pgPending;

/** A dialect's select of pending ids, made dynamic so `oldestExcept` can add to it. */
interface IdSelect<Q> {
  where(condition: SQL | undefined): Q;
  orderBy(...columns: SQL[]): Q;
  limit(n: number): Q;
}

/** The `n` oldest rows by arrival other than `skip` (what `dropOldest` deletes). */
const oldestExcept = <Q extends IdSelect<Q>>(q: Q, t: PendingTable, n: number, skip: readonly number[]) =>
  q
    .where(notInArray(t.id, [...skip]))
    .orderBy(asc(t.id))
    .limit(n);

const fromRow = (r: Row): PendingNotification => ({
  id: r.id,
  service: r.service,
  token: r.token,
  encPayload: fromBase64(r.payload),
  enqueuedMs: r.enqueuedMs,
  attempts: r.attempts,
  nextAttemptMs: r.nextAttemptMs,
  lastError: r.lastError,
});

const newRow = (n: PushNotification, nowMs: number) => ({
  service: n.service,
  token: n.token,
  payload: toBase64(n.encPayload),
  enqueuedMs: nowMs,
  attempts: 0,
  nextAttemptMs: nowMs,
  lastError: null,
});

/** Which PendingStore methods only read (safe to retry), which write and which only delete, for the fault monitor. */
export const PENDING_OPERATIONS = operationKinds<PendingStore>({
  read: ["due", "nextAttemptMs", "count"],
  write: ["add", "retryLater"],
  delete: ["remove", "removeToken", "dropOldest"],
});

export class SqlitePendingStore extends SqliteTables implements PendingStore {
  /** Uses an open connection (its own or the subscription repo's file). */
  constructor(sqlite: Database.Database) {
    super(sqlite, CREATE_PENDING_SQL.sqlite);
  }

  static open(path: string): SqlitePendingStore {
    return new SqlitePendingStore(new Database(path));
  }

  async add(n: PushNotification, nowMs: number) {
    // `.all()`, not `.get()`: an INSERT … RETURNING commits when the statement runs to its end, and
    // better-sqlite3's get() stops after the first row and ignores that commit's error — on a full
    // disk the id came back and the row was silently rolled back.
    const [r] = this.db
      .insert(sqlitePending)
      .values(newRow(n, nowMs))
      .returning({ id: sqlitePending.id })
      .all();
    if (!r) throw new Error("pending notification insert returned no id");
    return r.id;
  }

  async due(nowMs: number, limit: number, skip: readonly number[]) {
    return this.db
      .select()
      .from(sqlitePending)
      .where(and(lte(sqlitePending.nextAttemptMs, nowMs), notInArray(sqlitePending.id, [...skip])))
      .orderBy(asc(sqlitePending.nextAttemptMs), asc(sqlitePending.id))
      .limit(limit)
      .all()
      .map(fromRow);
  }

  async nextAttemptMs(skip: readonly number[]) {
    const r = this.db
      .select({ at: min(sqlitePending.nextAttemptMs) })
      .from(sqlitePending)
      .where(notInArray(sqlitePending.id, [...skip]))
      .get();
    return r?.at ?? undefined;
  }

  async retryLater(id: number, attempts: number, nextAttemptMs: number, error: string) {
    this.db
      .update(sqlitePending)
      .set({ attempts, nextAttemptMs, lastError: error.slice(0, 500) })
      .where(eq(sqlitePending.id, id))
      .run();
  }

  async remove(id: number) {
    return this.deleteRows(sqlitePending, eq(sqlitePending.id, id)) > 0;
  }

  async removeToken(service: string, token: string) {
    return this.deleteRows(sqlitePending, sameToken(sqlitePending, service, token));
  }

  async dropOldest(n: number, skip: readonly number[]) {
    if (n <= 0) return 0;
    const ids = this.db.select({ id: sqlitePending.id }).from(sqlitePending).$dynamic();
    return this.deleteRows(
      sqlitePending,
      inArray(sqlitePending.id, oldestExcept(ids, sqlitePending, n, skip)),
    );
  }

  async count() {
    return this.db.select({ n: count() }).from(sqlitePending).get()?.n ?? 0;
  }

  async close() {
    if (this.sqlite.open) this.sqlite.close();
  }
}

export class PgPendingStore extends PgTables implements PendingStore {
  /** Connects and creates the table; `schema` (created if missing) isolates e.g. a test run. */
  static async open(url: string, schema?: string, applicationName?: string): Promise<PgPendingStore> {
    const client = await openPgClient(url, schema, CREATE_PENDING_SQL.pg, 3, applicationName);
    return new PgPendingStore(client);
  }

  async add(n: PushNotification, nowMs: number) {
    const [r] = await this.db.insert(pgPending).values(newRow(n, nowMs)).returning({ id: pgPending.id });
    if (!r) throw new Error("pending notification insert returned no id");
    return r.id;
  }

  async due(nowMs: number, limit: number, skip: readonly number[]) {
    const rows = await this.db
      .select()
      .from(pgPending)
      .where(and(lte(pgPending.nextAttemptMs, nowMs), notInArray(pgPending.id, [...skip])))
      .orderBy(asc(pgPending.nextAttemptMs), asc(pgPending.id))
      .limit(limit);
    return rows.map(fromRow);
  }

  async nextAttemptMs(skip: readonly number[]) {
    const [r] = await this.db
      .select({ at: min(pgPending.nextAttemptMs) })
      .from(pgPending)
      .where(notInArray(pgPending.id, [...skip]));
    // min() of a bigint column comes back as a string from postgres.js.
    return r?.at == null ? undefined : Number(r.at);
  }

  async retryLater(id: number, attempts: number, nextAttemptMs: number, error: string) {
    await this.db
      .update(pgPending)
      .set({ attempts, nextAttemptMs, lastError: error.slice(0, 500) })
      .where(eq(pgPending.id, id));
  }

  async remove(id: number) {
    return (await this.deleteRows(pgPending, eq(pgPending.id, id))) > 0;
  }

  async removeToken(service: string, token: string) {
    return this.deleteRows(pgPending, sameToken(pgPending, service, token));
  }

  async dropOldest(n: number, skip: readonly number[]) {
    if (n <= 0) return 0;
    const ids = this.db.select({ id: pgPending.id }).from(pgPending).$dynamic();
    return this.deleteRows(pgPending, inArray(pgPending.id, oldestExcept(ids, pgPending, n, skip)));
  }

  async count() {
    const [r] = await this.db.select({ n: count() }).from(pgPending);
    return Number(r?.n ?? 0);
  }
}

/**
 * The same queue semantics without durability: what `createApp` uses when it is given no
 * store (route tests, tools). A restart loses what it holds.
 */
export class MemoryPendingStore implements PendingStore {
  readonly deletesNeedSpace = false;
  private readonly rows = new Map<number, PendingNotification>();
  private seq = 0;

  async add(n: PushNotification, nowMs: number) {
    const id = ++this.seq;
    this.rows.set(id, { ...n, id, enqueuedMs: nowMs, attempts: 0, nextAttemptMs: nowMs, lastError: null });
    return id;
  }

  private others(skip: readonly number[]) {
    const s = new Set(skip);
    return [...this.rows.values()].filter((r) => !s.has(r.id));
  }

  async due(nowMs: number, limit: number, skip: readonly number[]) {
    return this.others(skip)
      .filter((r) => r.nextAttemptMs <= nowMs)
      .sort((a, b) => a.nextAttemptMs - b.nextAttemptMs || a.id - b.id)
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  async nextAttemptMs(skip: readonly number[]) {
    const rows = this.others(skip);
    return rows.length === 0 ? undefined : Math.min(...rows.map((r) => r.nextAttemptMs));
  }

  async retryLater(id: number, attempts: number, nextAttemptMs: number, error: string) {
    const r = this.rows.get(id);
    if (r) Object.assign(r, { attempts, nextAttemptMs, lastError: error.slice(0, 500) });
  }

  async remove(id: number) {
    return this.rows.delete(id);
  }

  async removeToken(service: string, token: string) {
    let n = 0;
    for (const r of [...this.rows.values()])
      if (r.service === service && r.token === token && this.rows.delete(r.id)) n++;
    return n;
  }

  async dropOldest(n: number, skip: readonly number[]) {
    const victims = this.others(skip)
      .sort((a, b) => a.id - b.id)
      .slice(0, Math.max(0, n));
    for (const r of victims) this.rows.delete(r.id);
    return victims.length;
  }

  async count() {
    return this.rows.size;
  }

  async close() {}
}

/** SQLite file path or a postgres:// URL, as DATABASE_URL. */
export async function openPendingStore(url: string, schema?: string): Promise<PendingStore> {
  if (/^postgres(ql)?:\/\//.test(url)) return PgPendingStore.open(url, schema);
  return SqlitePendingStore.open(url);
}
