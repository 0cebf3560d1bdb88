import { MAX_SUBACCOUNT_TOKENS } from "@session/protocol/rpc";
import { and, desc, eq, inArray, notExists, sql } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { countRows } from "../db/count.ts";
import { messages, revokedSubaccounts } from "../db/schema.ts";

type Tx = Parameters<Parameters<BetterSQLite3Database<Record<string, unknown>>["transaction"]>[0]>[0];

/** One stored revocation, as peers exchange them (catch-up, rebalancing). */
export interface Revocation {
  owner: string;
  token: Uint8Array;
  revokedAt: number;
}

/**
 * Revoked subaccount tokens per account, in the node's SQLite database (same rules as oxenss
 * Database::revoke_subaccounts / unrevoke_subaccounts / subaccount_revoked):
 * - a revocation is recorded only for an account that has messages stored here, and lives while
 *   it has some (oxenss: ON DELETE CASCADE from its `owners` row; here: `dropOrphans`, run by the
 *   sweep and after messages move away);
 * - at most MAX_SUBACCOUNT_TOKENS per account: the newest revocations are kept;
 * - revoking an already revoked token refreshes its time.
 */
export class SubaccountRevocations {
  /** Checked on every subaccount-signed request: prepared once. */
  private readonly revokedQuery;

  constructor(private readonly db: BetterSQLite3Database<Record<string, unknown>>) {
    this.revokedQuery = db
      .select({ one: sql`1` })
      .from(revokedSubaccounts)
      .where(
        and(
          eq(revokedSubaccounts.owner, sql.placeholder("owner")),
          eq(revokedSubaccounts.token, sql.placeholder("token")),
        ),
      )
      .prepare();
  }

  /** Records the revocations (where the account has messages); returns how many were new. */
  revoke(owner: string, tokens: readonly Uint8Array[], now: number): number {
    if (tokens.length === 0) return 0;
    return this.db.transaction((tx) => {
      const hasMessages = tx
        .select({ one: sql`1` })
        .from(messages)
        .where(eq(messages.owner, owner))
        .limit(1)
        .get();
      if (!hasMessages) return 0;
      let added = 0;
      for (const token of tokens) {
        const res = tx
          .insert(revokedSubaccounts)
          .values({ owner, token: Buffer.from(token), revokedAt: now })
          .onConflictDoNothing()
          .run();
        if (res.changes > 0) added++;
        else
          tx.update(revokedSubaccounts)
            .set({ revokedAt: sql`max(${revokedSubaccounts.revokedAt}, ${now})` })
            .where(and(eq(revokedSubaccounts.owner, owner), eq(revokedSubaccounts.token, Buffer.from(token))))
            .run();
      }
      this.trim(tx, owner);
      return added;
    });
  }

  /** Removes revocations; returns how many existed. */
  unrevoke(owner: string, tokens: readonly Uint8Array[]): number {
    if (tokens.length === 0) return 0;
    return this.db
      .delete(revokedSubaccounts)
      .where(
        and(
          eq(revokedSubaccounts.owner, owner),
          inArray(
            revokedSubaccounts.token,
            tokens.map((t) => Buffer.from(t)),
          ),
        ),
      )
      .run().changes;
  }

  isRevoked(owner: string, token: Uint8Array): boolean {
    return this.revokedQuery.get({ owner, token: Buffer.from(token) }) !== undefined;
  }

  /** Revocations of the given accounts (to send along with their messages). */
  of(owners: readonly string[]): Revocation[] {
    if (owners.length === 0) return [];
    return this.db
      .select()
      .from(revokedSubaccounts)
      .where(inArray(revokedSubaccounts.owner, [...owners]))
      .orderBy(revokedSubaccounts.seq)
      .all()
      .map((r) => ({ owner: r.owner, token: new Uint8Array(r.token), revokedAt: r.revokedAt }));
  }

  /** Merges revocations received from a peer (kept only where the account has messages here). */
  import(rows: readonly Revocation[]): number {
    let added = 0;
    for (const r of rows) added += this.revoke(r.owner, [r.token], r.revokedAt);
    return added;
  }

  /** Drops the revocations of accounts that hold no messages here; returns how many. */
  dropOrphans(): number {
    return this.db
      .delete(revokedSubaccounts)
      .where(
        notExists(
          this.db.select({ one: sql`1` }).from(messages).where(eq(messages.owner, revokedSubaccounts.owner)),
        ),
      )
      .run().changes;
  }

  /** Revocations stored, all accounts (metrics). */
  total(): number {
    return countRows(this.db, revokedSubaccounts);
  }

  count(owner: string): number {
    return countRows(this.db, revokedSubaccounts, eq(revokedSubaccounts.owner, owner));
  }

  private trim(tx: Tx, owner: string): void {
    const keep = tx
      .select({ seq: revokedSubaccounts.seq })
      .from(revokedSubaccounts)
      .where(eq(revokedSubaccounts.owner, owner))
      .orderBy(desc(revokedSubaccounts.revokedAt), desc(revokedSubaccounts.seq))
      .limit(MAX_SUBACCOUNT_TOKENS);
    tx.delete(revokedSubaccounts)
      .where(and(eq(revokedSubaccounts.owner, owner), sql`${revokedSubaccounts.seq} not in ${keep}`))
      .run();
  }
}
