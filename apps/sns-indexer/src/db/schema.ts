import { dualTable } from "@session/service-kit/dual-table";

// The indexer stores what the chain said, not what it derived: decoded contract events, the hashes
// of recently processed blocks (for reorg detection) and the cursor. Node and name state is a
// fold over the events, rebuilt in memory at start and after a rollback. One logical schema,
// declared once for both dialects (drizzle-kit writes each dialect's migrations from it).

export const { sqlite: sqliteEvents, pg: pgEvents } = dualTable(
  "events",
  {
    blockNumber: "int",
    logIndex: "int32",
    blockHash: "text",
    txHash: "text",
    contract: "text",
    name: "text",
    args: "text",
  },
  { primaryKey: ["blockNumber", "logIndex"] },
);

export const { sqlite: sqliteBlocks, pg: pgBlocks } = dualTable("blocks", { number: "intKey", hash: "text" });

export const { sqlite: sqliteMeta, pg: pgMeta } = dualTable("meta", { key: "textKey", value: "text" });
