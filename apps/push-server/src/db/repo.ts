import { type DatabaseStore, operationKinds } from "@session/service-kit";
import Database from "better-sqlite3";
import { eq, lte, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { openPgClient, PgTables } from "./pg.ts";
import { sameToken } from "./same-token.ts";
import { CREATE_SUBS_SQL, pgSubs, SUBS_ADDED_COLUMNS, sqliteSubs } from "./schema.ts";
import { SqliteTables } from "./sqlite.ts";

export type PushService = "firebase" | "apns";

/** A stored device subscription to one account. */
export interface Subscription {
  pubkey: string;
  sessionEd25519: string | null;
  /** Subaccount authentication (36-byte token and the account's signature of it), hex. */
  subaccount: string | null;
  subaccountSig: string | null;
  namespaces: number[];
  wantData: boolean;
  sigTs: number;
  signature: string;
  service: PushService;
  token: string;
  encKey: string;
  updatedMs: number;
}

type Row = typeof sqliteSubs.$inferSelect;

const subId = (pubkey: string, service: string, token: string) => `${pubkey}:${service}:${token}`;

function toRow(s: Subscription): Row {
  return {
    id: subId(s.pubkey, s.service, s.token),
    pubkey: s.pubkey,
    sessionEd25519: s.sessionEd25519,
    subaccount: s.subaccount,
    subaccountSig: s.subaccountSig,
    namespaces: JSON.stringify(s.namespaces),
    wantData: s.wantData ? 1 : 0,
    sigTs: s.sigTs,
    signature: s.signature,
    service: s.service,
    token: s.token,
    encKey: s.encKey,
    updatedMs: s.updatedMs,
  };
}

function fromRow(r: Row): Subscription {
  return {
    pubkey: r.pubkey,
    sessionEd25519: r.sessionEd25519,
    subaccount: r.subaccount ?? null,
    subaccountSig: r.subaccountSig ?? null,
    namespaces: JSON.parse(r.namespaces) as number[],
    wantData: r.wantData === 1,
    sigTs: r.sigTs,
    signature: r.signature,
    service: r.service as PushService,
    token: r.token,
    encKey: r.encKey,
    updatedMs: r.updatedMs,
  };
}

export interface SubscriptionRepo extends DatabaseStore {
  /** Inserts or replaces; true when it was new. */
  upsert(sub: Subscription): Promise<boolean>;
  /** Inserts or replaces all in one transaction (all or none); for each, true when it was new. */
  upsertMany(subs: readonly Subscription[]): Promise<boolean[]>;
  remove(pubkey: string, service: string, token: string): Promise<boolean>;
  /** Drops every subscription of a device token (the provider said it is invalid). */
  removeToken(service: string, token: string): Promise<number>;
  /** Deletes subscriptions whose signature timestamp is at or before `sigTs`; returns their accounts. */
  removeSignedBefore(sigTs: number): Promise<string[]>;
  forAccount(pubkey: string): Promise<Subscription[]>;
  accounts(): Promise<string[]>;
}

/** Which SubscriptionRepo methods only read (safe to retry), which write and which only delete, for the fault monitor. */
export const SUBSCRIPTION_OPERATIONS = operationKinds<SubscriptionRepo>({
  read: ["forAccount", "accounts"],
  write: ["upsert", "upsertMany"],
  delete: ["remove", "removeToken", "removeSignedBefore"],
});

export class SqliteSubscriptionRepo extends SqliteTables implements SubscriptionRepo {
  constructor(sqlite: Database.Database) {
    super(sqlite, CREATE_SUBS_SQL);
    const cols = new Set(
      (sqlite.prepare("PRAGMA table_info(subscriptions)").all() as { name: string }[]).map((c) => c.name),
    );
    for (const c of SUBS_ADDED_COLUMNS)
      if (!cols.has(c.name)) sqlite.exec(`ALTER TABLE subscriptions ADD COLUMN ${c.ddl}`);
  }

  static open(path: string): SqliteSubscriptionRepo {
    return new SqliteSubscriptionRepo(new Database(path));
  }

  async upsert(sub: Subscription) {
    return (await this.upsertMany([sub]))[0] === true;
  }

  async upsertMany(subs: readonly Subscription[]) {
    // One synchronous transaction: better-sqlite3 serialises it, so existence check and write agree.
    return this.sqlite.transaction(() =>
      subs.map((sub) => {
        const row = toRow(sub);
        const existed = this.db
          .select({ id: sqliteSubs.id })
          .from(sqliteSubs)
          .where(eq(sqliteSubs.id, row.id))
          .get();
        this.db.insert(sqliteSubs).values(row).onConflictDoUpdate({ target: sqliteSubs.id, set: row }).run();
        return existed === undefined;
      }),
    )();
  }

  async remove(pubkey: string, service: string, token: string) {
    return this.deleteRows(sqliteSubs, eq(sqliteSubs.id, subId(pubkey, service, token))) > 0;
  }

  async removeToken(service: string, token: string) {
    return this.deleteRows(sqliteSubs, sameToken(sqliteSubs, service, token));
  }

  async removeSignedBefore(sigTs: number) {
    const rows = this.db
      .delete(sqliteSubs)
      .where(lte(sqliteSubs.sigTs, sigTs))
      .returning({ pubkey: sqliteSubs.pubkey })
      .all();
    return [...new Set(rows.map((r) => r.pubkey))];
  }

  async forAccount(pubkey: string) {
    return this.db.select().from(sqliteSubs).where(eq(sqliteSubs.pubkey, pubkey)).all().map(fromRow);
  }

  async accounts() {
    return this.db
      .selectDistinct({ pubkey: sqliteSubs.pubkey })
      .from(sqliteSubs)
      .all()
      .map((r) => r.pubkey);
  }

  async close() {
    this.sqlite.close();
  }
}

export class PgSubscriptionRepo extends PgTables implements SubscriptionRepo {
  /** Connects and creates the table; `schema` (created if missing) isolates e.g. a test run. */
  static async open(url: string, schema?: string, applicationName?: string): Promise<PgSubscriptionRepo> {
    const client = await openPgClient(
      url,
      schema,
      [
        ...CREATE_SUBS_SQL,
        ...SUBS_ADDED_COLUMNS.map((c) => `ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS ${c.ddl}`),
      ],
      5,
      applicationName,
    );
    return new PgSubscriptionRepo(client);
  }

  async upsert(sub: Subscription) {
    return (await this.upsertMany([sub]))[0] === true;
  }

  async upsertMany(subs: readonly Subscription[]) {
    const upsertOne = async (db: PostgresJsDatabase, sub: Subscription) => {
      const row = toRow(sub);
      // xmax = 0 only on a freshly inserted row: tells insert from update in one statement.
      const res = await db
        .insert(pgSubs)
        .values(row)
        .onConflictDoUpdate({ target: pgSubs.id, set: row })
        .returning({ inserted: sql<boolean>`(xmax = 0)` });
      return res[0]?.inserted === true;
    };
    if (subs.length === 1) return [await upsertOne(this.db, subs[0]!)];
    return this.db.transaction(async (tx) => {
      const added: boolean[] = [];
      for (const sub of subs) added.push(await upsertOne(tx as unknown as PostgresJsDatabase, sub));
      return added;
    });
  }

  async remove(pubkey: string, service: string, token: string) {
    return (await this.deleteRows(pgSubs, eq(pgSubs.id, subId(pubkey, service, token)))) > 0;
  }

  async removeToken(service: string, token: string) {
    return this.deleteRows(pgSubs, sameToken(pgSubs, service, token));
  }

  async removeSignedBefore(sigTs: number) {
    const rows = await this.db
      .delete(pgSubs)
      .where(lte(pgSubs.sigTs, sigTs))
      .returning({ pubkey: pgSubs.pubkey });
    return [...new Set(rows.map((r) => r.pubkey))];
  }

  async forAccount(pubkey: string) {
    return (await this.db.select().from(pgSubs).where(eq(pgSubs.pubkey, pubkey))).map(fromRow);
  }

  async accounts() {
    return (await this.db.selectDistinct({ pubkey: pgSubs.pubkey }).from(pgSubs)).map((r) => r.pubkey);
  }
}

/** SQLite file path or a postgres:// URL. */
export async function openSubscriptionRepo(url: string, schema?: string): Promise<SubscriptionRepo> {
  if (/^postgres(ql)?:\/\//.test(url)) return PgSubscriptionRepo.open(url, schema);
  return SqliteSubscriptionRepo.open(url);
}
