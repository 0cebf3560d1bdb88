import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Columns every table here has: rows belong to an account, kept in insertion order.

/** The account a row belongs to: its 66-hex id. */
const owner = () => text("owner").notNull();
/** Insertion order (AUTOINCREMENT: an id is never reused, so paging by id stays sound). */
const serial = (name: string) => integer(name).primaryKey({ autoIncrement: true });

/**
 * The leading columns of an account's records that are each stored once, by a unique `key`
 * column (a message's hash, a tombstone's request digest): `id`, the key, `owner`.
 */
function keyedAccountRows<K extends string>(key: K) {
  const unique = text(key).notNull().unique();
  return { id: serial("id"), ...({ [key]: unique } as Record<K, typeof unique>), owner: owner() };
}

/**
 * Stored messages (oxenss storage/database.cpp keeps the same facts): `id` gives delivery order for
 * `last_hash` paging; `owner` is the 66-hex account id; times are unix ms.
 */
export const messages = sqliteTable(
  "messages",
  {
    ...keyedAccountRows("hash"),
    namespace: integer("namespace").notNull(),
    timestamp: integer("timestamp").notNull(),
    expiry: integer("expiry").notNull(),
    data: blob("data", { mode: "buffer" }).notNull(),
  },
  (t) => [index("messages_owner_ns").on(t.owner, t.namespace, t.id), index("messages_expiry").on(t.expiry)],
);

export type MessageRow = typeof messages.$inferSelect;

/**
 * Subaccount tokens an account has revoked (oxenss `revoked_subaccounts`): a request authenticated
 * by a revoked token is refused, except retrieves from unrevocable namespaces. At most
 * MAX_SUBACCOUNT_TOKENS (50) per account, newest `revoked_at` kept (ties: later `seq`); rows of an
 * account that holds no messages are dropped by the sweep.
 */
export const revokedSubaccounts = sqliteTable(
  "revoked_subaccounts",
  {
    seq: serial("seq"),
    owner: owner(),
    token: blob("token", { mode: "buffer" }).notNull(),
    revokedAt: integer("revoked_at").notNull(),
  },
  (t) => [uniqueIndex("revoked_subaccounts_owner_token").on(t.owner, t.token)],
);

export type RevokedSubaccountRow = typeof revokedSubaccounts.$inferSelect;

/**
 * Deletes and expiry shortenings this node applied, kept as the client's own signed request
 * (`request`: the JSON `{method, params}` exactly as the client sent it) until the affected
 * messages would have expired anyway (`keep_until`). Swarm peers pull them (`tombstones` peer
 * action) and apply them after checking the client's signature themselves, so a member that missed
 * the request repairs itself on the owner's word, never on another node's (README: "Repairing
 * missed deletes"). `key`: sha256 of `request`, so each request is kept once.
 */
export const tombstones = sqliteTable(
  "tombstones",
  {
    ...keyedAccountRows("key"),
    request: text("request").notNull(),
    keepUntil: integer("keep_until").notNull(),
  },
  (t) => [index("tombstones_owner").on(t.owner), index("tombstones_keep_until").on(t.keepUntil)],
);

export type TombstoneRow = typeof tombstones.$inferSelect;
