import {
  bigint,
  integer as pgInteger,
  primaryKey as pgPrimaryKey,
  pgTable,
  text as pgText,
} from "drizzle-orm/pg-core";
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The indexer stores what the chain said, not what it derived: decoded contract events, the hashes
// of recently processed blocks (for reorg detection) and the cursor. Node and name state is a
// fold over the events, rebuilt in memory at start and after a rollback. One logical schema,
// declared once per dialect.

export const sqliteEvents = sqliteTable(
  "events",
  {
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    blockHash: text("block_hash").notNull(),
    txHash: text("tx_hash").notNull(),
    contract: text("contract").notNull(),
    name: text("name").notNull(),
    args: text("args").notNull(),
  },
  (t) => [primaryKey({ columns: [t.blockNumber, t.logIndex] })],
);

export const sqliteBlocks = sqliteTable("blocks", {
  number: integer("number").primaryKey(),
  hash: text("hash").notNull(),
});

export const sqliteMeta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const pgEvents = pgTable(
  "events",
  {
    blockNumber: bigint("block_number", { mode: "number" }).notNull(),
    logIndex: pgInteger("log_index").notNull(),
    blockHash: pgText("block_hash").notNull(),
    txHash: pgText("tx_hash").notNull(),
    contract: pgText("contract").notNull(),
    name: pgText("name").notNull(),
    args: pgText("args").notNull(),
  },
  (t) => [pgPrimaryKey({ columns: [t.blockNumber, t.logIndex] })],
);

export const pgBlocks = pgTable("blocks", {
  number: bigint("number", { mode: "number" }).primaryKey(),
  hash: pgText("hash").notNull(),
});

export const pgMeta = pgTable("meta", {
  key: pgText("key").primaryKey(),
  value: pgText("value").notNull(),
});
