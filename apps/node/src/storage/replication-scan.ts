// The messages-table walks of replication (catch-up and rebalancing, src/replication/sync.ts):
// pages in row order, the owner index, and the deletes of messages that moved to another swarm.
// MessageStore delegates to these functions.
import { and, asc, gt, inArray, lte, max } from "drizzle-orm";
import { type MessageRow, messages } from "../db/schema.ts";
import type { MessageStore, StoredMessage } from "./store.ts";

/** MessageStore's drizzle handle: it commits the pending store batch before each query. */
type Db = MessageStore["db"];

/** The last row id ever given (0 for none): ids are AUTOINCREMENT, never reused. */
export function lastRowId(db: Db): number {
  const [r] = db
    .select({ top: max(messages.id) })
    .from(messages)
    .all();
  return r?.top ?? 0;
}

/**
 * Messages stored after row `afterId` up to row `upTo`, live or not, in row (commit) order, at
 * most `limit`: a cluster owner's view of what any of its processes committed (monitor/arrivals.ts).
 */
export function rowsBetween(
  db: Db,
  afterId: number,
  upTo: number,
  limit: number,
): (StoredMessage & { id: number })[] {
  return db
    .select()
    .from(messages)
    .where(and(gt(messages.id, afterId), lte(messages.id, upTo)))
    .orderBy(asc(messages.id))
    .limit(limit)
    .all()
    .map((r) => ({ ...toStored(r), id: r.id }));
}

/**
 * Live messages stored after row `afterId` (of the accounts `owners` only, when given), in row
 * (arrival) order, at most `limit`: the pages catch-up and rebalancing walk the table in. `id`
 * is the cursor for the next page.
 */
export function liveAfter(
  db: Db,
  afterId: number,
  now: number,
  limit: number,
  owners?: readonly string[],
): (StoredMessage & { id: number })[] {
  if (owners?.length === 0) return [];
  return db
    .select()
    .from(messages)
    .where(
      and(
        owners ? inArray(messages.owner, [...owners]) : undefined,
        gt(messages.id, afterId),
        gt(messages.expiry, now),
      ),
    )
    .orderBy(asc(messages.id))
    .limit(limit)
    .all()
    .map((r) => ({ ...toStored(r), id: r.id }));
}

/**
 * Accounts holding messages here, in id order after `afterOwner`, at most `limit`: read from the
 * owner index alone, so rebalancing finds the accounts that moved without reading messages.
 */
export function ownersAfter(db: Db, afterOwner: string, limit: number): string[] {
  return db
    .selectDistinct({ owner: messages.owner })
    .from(messages)
    .where(gt(messages.owner, afterOwner))
    .orderBy(asc(messages.owner))
    .limit(limit)
    .all()
    .map((r) => r.owner);
}

/** Deletes messages by hash, whatever their owner (messages moved to another swarm). */
export function deleteByHash(db: Db, hashes: readonly string[]): number {
  let n = 0;
  db.transaction((tx) => {
    // In chunks: SQLite caps the number of bound parameters in one statement.
    for (let i = 0; i < hashes.length; i += 500) {
      n += tx
        .delete(messages)
        .where(inArray(messages.hash, hashes.slice(i, i + 500)))
        .run().changes;
    }
  });
  return n;
}

function toStored(r: MessageRow): StoredMessage {
  return {
    hash: r.hash,
    owner: r.owner,
    namespace: r.namespace,
    timestamp: r.timestamp,
    expiry: r.expiry,
    data: new Uint8Array(r.data),
  };
}
