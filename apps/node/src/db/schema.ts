import { blob, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Stored messages (oxenss storage/database.cpp keeps the same facts): `id` gives delivery order for
 * `last_hash` paging; `owner` is the 66-hex account id; times are unix ms.
 */
export const messages = sqliteTable(
  "messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    hash: text("hash").notNull().unique(),
    owner: text("owner").notNull(),
    namespace: integer("namespace").notNull(),
    timestamp: integer("timestamp").notNull(),
    expiry: integer("expiry").notNull(),
    data: blob("data", { mode: "buffer" }).notNull(),
  },
  (t) => [index("messages_owner_ns").on(t.owner, t.namespace, t.id), index("messages_expiry").on(t.expiry)],
);

export type MessageRow = typeof messages.$inferSelect;
