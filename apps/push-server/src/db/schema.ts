import { createTableSql, dualTable } from "@session/service-kit/dual-table";

// One logical table per dialect. A subscription is unique per (pubkey, service, token), as in
// session-push-notification-server: re-subscribing the same triple renews/updates it.
// `namespaces` is a JSON array; keys and signatures are lower-case hex.

const subsColumns = {
  id: "textKey",
  pubkey: "text",
  sessionEd25519: "textOrNull",
  subaccount: "textOrNull",
  subaccountSig: "textOrNull",
  namespaces: "text",
  wantData: "int",
  sigTs: "int",
  signature: "text",
  service: "text",
  token: "text",
  encKey: "text",
  updatedMs: "int",
} as const;
const subsExtras = {
  indexes: { subscriptions_pubkey: ["pubkey"], subscriptions_token: ["service", "token"] },
} as const;

export const { sqlite: sqliteSubs, pg: pgSubs } = dualTable("subscriptions", subsColumns, subsExtras);

/** Hand-written DDL both dialects accept (no auto-increment key), run at open. */
export const CREATE_SUBS_SQL = createTableSql("subscriptions", subsColumns, "sqlite", subsExtras);

/** Columns added after the first release: added to an existing table at open when missing. */
export const SUBS_ADDED_COLUMNS: readonly { name: string; ddl: string }[] = [
  { name: "subaccount", ddl: "subaccount TEXT" },
  { name: "subaccount_sig", ddl: "subaccount_sig TEXT" },
];

// Notifications waiting for their provider (the durable delivery queue). The payload is the
// encrypted notification (base64), so nothing readable rests here. `id` orders by arrival.

const pendingColumns = {
  id: "serial",
  service: "text",
  token: "text",
  payload: "text",
  enqueuedMs: "int",
  attempts: "int",
  nextAttemptMs: "int",
  lastError: "textOrNull",
} as const;
const pendingExtras = {
  indexes: { pending_due: ["nextAttemptMs", "id"], pending_token: ["service", "token"] },
} as const;

export const { sqlite: sqlitePending, pg: pgPending } = dualTable(
  "pending_notifications",
  pendingColumns,
  pendingExtras,
);

/** Hand-written DDL per dialect (only the auto-increment key differs), run at open. */
export const CREATE_PENDING_SQL = {
  sqlite: createTableSql("pending_notifications", pendingColumns, "sqlite", pendingExtras),
  pg: createTableSql("pending_notifications", pendingColumns, "pg", pendingExtras),
} as const;
