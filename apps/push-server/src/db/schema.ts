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

// Notifications waiting for their provider (the durable delivery queue). The payload is the
// encrypted notification (base64), so nothing readable rests here. `id` orders by arrival.

export const sqlitePending = sqliteTable("pending_notifications", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  service: text("service").notNull(),
  token: text("token").notNull(),
  payload: text("payload").notNull(),
  enqueuedMs: integer("enqueued_ms").notNull(),
  attempts: integer("attempts").notNull(),
  nextAttemptMs: integer("next_attempt_ms").notNull(),
  lastError: text("last_error"),
});

export const pgPending = pgTable("pending_notifications", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  service: pgText("service").notNull(),
  token: pgText("token").notNull(),
  payload: pgText("payload").notNull(),
  enqueuedMs: bigint("enqueued_ms", { mode: "number" }).notNull(),
  attempts: bigint("attempts", { mode: "number" }).notNull(),
  nextAttemptMs: bigint("next_attempt_ms", { mode: "number" }).notNull(),
  lastError: pgText("last_error"),
});

const pendingColumns = `
    service TEXT NOT NULL,
    token TEXT NOT NULL,
    payload TEXT NOT NULL,
    enqueued_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    last_error TEXT`;
const pendingIndexes = [
  "CREATE INDEX IF NOT EXISTS pending_due ON pending_notifications (next_attempt_ms, id)",
  "CREATE INDEX IF NOT EXISTS pending_token ON pending_notifications (service, token)",
];

/** Hand-written DDL per dialect (only the auto-increment key differs), run at open. */
export const CREATE_PENDING_SQL = {
  sqlite: [
    `CREATE TABLE IF NOT EXISTS pending_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,${pendingColumns}
  )`,
    ...pendingIndexes,
  ],
  pg: [
    `CREATE TABLE IF NOT EXISTS pending_notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,${pendingColumns}
  )`,
    ...pendingIndexes,
  ],
} as const;
