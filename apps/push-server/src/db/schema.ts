import { bigint, pgTable, text as pgText } from "drizzle-orm/pg-core";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

// One logical table per dialect. A subscription is unique per (pubkey, service, token), as in
// session-push-notification-server: re-subscribing the same triple renews/updates it.
// `namespaces` is a JSON array; keys and signatures are lower-case hex.

export const sqliteSubs = sqliteTable("subscriptions", {
  id: text("id").primaryKey(),
  pubkey: text("pubkey").notNull(),
  sessionEd25519: text("session_ed25519"),
  subaccount: text("subaccount"),
  subaccountSig: text("subaccount_sig"),
  namespaces: text("namespaces").notNull(),
  wantData: integer("want_data").notNull(),
  sigTs: integer("sig_ts").notNull(),
  signature: text("signature").notNull(),
  service: text("service").notNull(),
  token: text("token").notNull(),
  encKey: text("enc_key").notNull(),
  updatedMs: integer("updated_ms").notNull(),
});

export const pgSubs = pgTable("subscriptions", {
  id: pgText("id").primaryKey(),
  pubkey: pgText("pubkey").notNull(),
  sessionEd25519: pgText("session_ed25519"),
  subaccount: pgText("subaccount"),
  subaccountSig: pgText("subaccount_sig"),
  namespaces: pgText("namespaces").notNull(),
  wantData: bigint("want_data", { mode: "number" }).notNull(),
  sigTs: bigint("sig_ts", { mode: "number" }).notNull(),
  signature: pgText("signature").notNull(),
  service: pgText("service").notNull(),
  token: pgText("token").notNull(),
  encKey: pgText("enc_key").notNull(),
  updatedMs: bigint("updated_ms", { mode: "number" }).notNull(),
});

/** Hand-written DDL both dialects accept, run at open. */
export const CREATE_SUBS_SQL = [
  `CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    pubkey TEXT NOT NULL,
    session_ed25519 TEXT,
    subaccount TEXT,
    subaccount_sig TEXT,
    namespaces TEXT NOT NULL,
    want_data BIGINT NOT NULL,
    sig_ts BIGINT NOT NULL,
    signature TEXT NOT NULL,
    service TEXT NOT NULL,
    token TEXT NOT NULL,
    enc_key TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS subscriptions_pubkey ON subscriptions (pubkey)",
  "CREATE INDEX IF NOT EXISTS subscriptions_token ON subscriptions (service, token)",
];

/** Columns added after the first release: added to an existing table at open when missing. */
export const SUBS_ADDED_COLUMNS: readonly { name: string; ddl: string }[] = [
  { name: "subaccount", ddl: "subaccount TEXT" },
  { name: "subaccount_sig", ddl: "subaccount_sig TEXT" },
];
