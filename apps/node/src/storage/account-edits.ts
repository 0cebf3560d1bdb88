// An account's deletes and expiry changes on the messages table (the storage RPC's delete and
// expire families, and the tombstones that replay them): rare next to store and retrieve, so they
// stay drizzle queries. MessageStore delegates to these functions.
import { and, eq, gt, inArray, lte, sql } from "drizzle-orm";
import { messages } from "../db/schema.ts";
import type { MessageStore } from "./store.ts";

/** MessageStore's drizzle handle: it commits the pending store batch before each query. */
type Db = MessageStore["db"];

/** One namespace of an account, or all of them. */
type NamespaceScope = number | "all";

/** Affected hashes, grouped by namespace (as the storage RPC answers them). */
type HashesByNamespace = Record<string, string[]>;

/** The arguments of one of these functions after `db` (what MessageStore's method takes). */
export type AfterDb<F> = F extends (db: Db, ...rest: infer R) => unknown ? R : never;

export interface ExpireResult {
  updated: string[];
  /** Hash → current expiry of messages a shorten/extend left as they were. */
  unchanged: Record<string, number>;
  /** Hash → new expiry of updated messages. */
  newExpiries: Record<string, number>;
}

/** Deletes the given hashes of an account; returns the ones that existed. */
export function deleteHashes(db: Db, owner: string, hashes: readonly string[]): string[] {
  if (hashes.length === 0) return [];
  const rows = db
    .delete(messages)
    .where(and(eq(messages.owner, owner), inArray(messages.hash, [...hashes])))
    .returning({ hash: messages.hash })
    .all();
  return rows.map((r) => r.hash);
}

/** Deletes every message (of one namespace, or all), returning hashes grouped by namespace. */
export function deleteAll(db: Db, owner: string, namespace: NamespaceScope): HashesByNamespace {
  return touchedByNamespace(db.delete(messages).where(ownerScope(owner, namespace)));
}

/** Deletes the messages (of one namespace, or all) timestamped at or before `before`, grouped by namespace. */
export function deleteBefore(
  db: Db,
  owner: string,
  namespace: NamespaceScope,
  before: number,
): HashesByNamespace {
  // `timestamp <= before`, as oxenss database.cpp delete_by_timestamp.
  const where = and(ownerScope(owner, namespace), lte(messages.timestamp, before));
  return touchedByNamespace(db.delete(messages).where(where));
}

/**
 * Sets the expiry of the given messages (one value, or one per hash). `shorten` only lowers,
 * `extend` only raises; others are reported unchanged with their current expiry.
 */
export function expire(
  db: Db,
  owner: string,
  hashes: readonly string[],
  expiries: readonly number[],
  mode: { shorten: boolean; extend: boolean },
  now: number,
): ExpireResult {
  const out: ExpireResult = { updated: [], unchanged: {}, newExpiries: {} };
  db.transaction((tx) => {
    hashes.forEach((hash, i) => {
      const target = expiries.length === 1 ? expiries[0]! : expiries[i]!;
      const row = tx
        .select({ expiry: messages.expiry })
        .from(messages)
        .where(and(eq(messages.owner, owner), eq(messages.hash, hash), gt(messages.expiry, now)))
        .get();
      if (!row) return;
      const allowed =
        (mode.shorten && target < row.expiry) ||
        (mode.extend && target > row.expiry) ||
        (!mode.shorten && !mode.extend);
      if (!allowed || target === row.expiry) {
        if (mode.shorten || mode.extend) out.unchanged[hash] = row.expiry;
        else if (target === row.expiry) {
          out.updated.push(hash);
          out.newExpiries[hash] = target;
        }
        return;
      }
      tx.update(messages).set({ expiry: target }).where(eq(messages.hash, hash)).run();
      out.updated.push(hash);
      out.newExpiries[hash] = target;
    });
  });
  return out;
}

/** Shortens every later expiry (of one namespace, or all) to `expiry`; returns updated hashes. */
export function expireAll(
  db: Db,
  owner: string,
  namespace: NamespaceScope,
  expiry: number,
  now: number,
): HashesByNamespace {
  const where = and(ownerScope(owner, namespace), gt(messages.expiry, expiry), gt(messages.expiry, now));
  return touchedByNamespace(db.update(messages).set({ expiry }).where(where));
}

/** Hash → expiry of the given live messages of an account (absent hashes are left out). */
export function expiries(
  db: Db,
  owner: string,
  hashes: readonly string[],
  now: number,
): Record<string, number> {
  if (hashes.length === 0) return {};
  const rows = db
    .select({ hash: messages.hash, expiry: messages.expiry })
    .from(messages)
    .where(and(eq(messages.owner, owner), inArray(messages.hash, [...hashes]), gt(messages.expiry, now)))
    .all();
  return Object.fromEntries(rows.map((r) => [r.hash, r.expiry]));
}

/**
 * The latest expiry among an account's live messages that a delete or expiry change would touch:
 * the given hashes, or (of one namespace, or all) those whose timestamp is at or before
 * `timestampAtMost` (the delete_before rule). Undefined when there are none. (How long a tombstone must be kept.)
 */
export function maxExpiry(
  db: Db,
  owner: string,
  scope: { hashes: readonly string[] } | { namespace: NamespaceScope; timestampAtMost: number },
  now: number,
): number | undefined {
  if ("hashes" in scope && scope.hashes.length === 0) return undefined;
  const where =
    "hashes" in scope
      ? inArray(messages.hash, [...scope.hashes])
      : and(
          scope.namespace === "all" ? undefined : eq(messages.namespace, scope.namespace),
          lte(messages.timestamp, scope.timestampAtMost),
        );
  const row = db
    .select({ m: sql<number | null>`max(${messages.expiry})` })
    .from(messages)
    .where(and(eq(messages.owner, owner), where, gt(messages.expiry, now)))
    .get();
  return row?.m ?? undefined;
}

/** An owner's messages, of one namespace or of all. */
function ownerScope(owner: string, namespace: NamespaceScope) {
  return namespace === "all"
    ? eq(messages.owner, owner)
    : and(eq(messages.owner, owner), eq(messages.namespace, namespace));
}

const touched = { hash: messages.hash, namespace: messages.namespace };

/** A delete or update of the messages table, before its RETURNING clause. */
interface Change {
  returning(fields: typeof touched): { all(): { hash: string; namespace: number }[] };
}

/** Runs `change`, returning the hashes of the rows it touched grouped by namespace. */
function touchedByNamespace(change: Change): HashesByNamespace {
  const out: HashesByNamespace = {};
  for (const r of change.returning(touched).all()) {
    const key = String(r.namespace);
    out[key] = [...(out[key] ?? []), r.hash];
  }
  return out;
}
