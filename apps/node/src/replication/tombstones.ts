import { createHash } from "node:crypto";
import { type NodeInfo, TTL_MAXIMUM_PRIVATE_MS } from "@session/protocol";
import {
  authRequirementFor,
  parseRpcRequest,
  type RpcSubrequest,
  SubaccountAccess,
} from "@session/protocol/rpc";
import { SingleFlight } from "@session/service-kit";
import { and, asc, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { z } from "zod";
import { countRows } from "../db/count.ts";
import { tombstones } from "../db/schema.ts";
import { requestVerifier } from "../rpc/node-crypto.ts";
import { TurnBatchedAuth } from "../rpc/turn-batched-auth.ts";
import type { SubaccountRevocations } from "../storage/revocations.ts";
import type { MessageStore } from "../storage/store.ts";
import type { Membership } from "../swarm/membership.ts";
import type { PeerClient } from "./peer.ts";

/*
 * Repairing deletes a swarm member missed (README "Repairing missed deletes"). Each member keeps
 * the client's own signed request for every delete or expiry shortening it applied (a tombstone),
 * until the messages it touched would have expired anyway. Members pull each other's tombstones
 * (a cursor per peer, every TOMBSTONE_PULL_MS and when they join a swarm) and apply one only after
 * checking the client's signature themselves. The signature binds the account and exactly what
 * goes — the hashes (delete, expire), or a namespace and a time (delete_all, delete_before) — so
 * it is accepted whatever its age, and no node can delete anything on its own word: a forged or
 * altered tombstone fails the signature check; a replayed one removes only what the owner asked
 * to remove. Messages that arrive later from a peer that still had them (catch-up, rebalancing)
 * meet the tombstones already kept here.
 */

/** Methods whose effect is repaired (expire_all signs no time to bound it by: not repaired). */
export const REPAIRABLE_METHODS: ReadonlySet<string> = new Set([
  "delete",
  "delete_all",
  "delete_before",
  "expire",
]);

/** A tombstone as peers exchange it: the client's request as sent, and how long it is worth keeping. */
export const wireTombstone = z.object({
  request: z.object({ method: z.string(), params: z.record(z.string(), z.unknown()) }),
  keep_until: z.number().int(),
});
export type WireTombstone = z.infer<typeof wireTombstone>;

/** A page of a peer's tombstones after a cursor; `last`: its newest id (a cursor past it is stale). */
export const tombstonePageSchema = z.object({
  tombstones: z.array(z.unknown()).max(10_000),
  next: z.number().int().nonnegative().optional(),
  last: z.number().int().nonnegative(),
});

/** How often members pull each other's tombstones (TOMBSTONE_PULL_MS). */
export const DEFAULT_TOMBSTONE_PULL_MS = 30_000;

/** Tombstones per page, and body bytes (their JSON), both bounded like message pages. */
const PAGE_TOMBSTONES = 500;
const PAGE_BYTES = 1 << 20;
/** A peer's keep_until is its word: kept at most as long as any message can live. */
const MAX_KEEP_MS = TTL_MAXIMUM_PRIVATE_MS;

export interface TombstoneDeps {
  store: MessageStore;
  revocations: SubaccountRevocations;
  membership: Membership;
  peers: PeerClient;
  clock: { now(): number };
  logger: Logger;
  /** Each pulled tombstone's outcome (metrics). */
  onAccepted?: (outcome: "applied" | "known" | "refused" | "foreign") => void;
}

type Repairable = Extract<RpcSubrequest, { method: "delete" | "delete_all" | "delete_before" | "expire" }>;

function isRepairable(req: RpcSubrequest): req is Repairable {
  return REPAIRABLE_METHODS.has(req.method);
}

const keyOf = (json: string) => createHash("sha256").update(json).digest("hex");

export class Tombstones {
  /** Client signatures are checked exactly as the storage RPC checks them (revoked tokens refused). */
  private readonly auth: TurnBatchedAuth;
  /** Per peer: the id of the last of its tombstones seen. */
  private readonly cursors = new Map<string, number>();
  private readonly pulls = new SingleFlight(() => this.pullAll());

  constructor(private readonly d: TombstoneDeps) {
    this.auth = new TurnBatchedAuth(requestVerifier, {
      isSubaccountRevoked: (pubkey, token) => d.revocations.isRevoked(pubkey.hex, token),
    });
  }

  /**
   * Before a client's request is applied here: until when its tombstone must be kept (the latest
   * expiry of the messages it touches), or undefined when it touches nothing here or is not a
   * delete or shortening.
   */
  keepUntil(req: RpcSubrequest, now: number): number | undefined {
    if (!isRepairable(req)) return undefined;
    const owner = req.params.pubkey.hex;
    const s = this.d.store;
    switch (req.method) {
      case "delete":
        return s.maxExpiry(owner, { hashes: req.params.messages }, now);
      case "expire":
        // Extending only deletes nothing; shortening (or a plain set) may.
        if (req.params.extend) return undefined;
        return s.maxExpiry(owner, { hashes: req.params.messages }, now);
      case "delete_all":
        return s.maxExpiry(
          owner,
          { namespace: req.params.namespace, timestampAtMost: req.params.timestamp },
          now,
        );
      case "delete_before":
        return s.maxExpiry(
          owner,
          { namespace: req.params.namespace, timestampAtMost: req.params.before },
          now,
        );
    }
  }

  /** Keeps the client's request (`{method, params}` as it arrived) until `keepUntil`. */
  record(raw: { method?: unknown; params?: unknown }, owner: string, keepUntil: number): void {
    const request = JSON.stringify({ method: raw.method, params: raw.params });
    this.d.store.db
      .insert(tombstones)
      .values({ key: keyOf(request), owner, request, keepUntil })
      .onConflictDoUpdate({ target: tombstones.key, set: { keepUntil: sql`max(keep_until, ${keepUntil})` } })
      .run();
  }

  /** Tombstones kept here after row `after` (a peer's pull), a bounded page at a time. */
  page(after: number, now: number): { tombstones: WireTombstone[]; next?: number; last: number } {
    const rows = this.d.store.db
      .select()
      .from(tombstones)
      .where(and(gt(tombstones.id, after), gt(tombstones.keepUntil, now)))
      .orderBy(asc(tombstones.id))
      .limit(PAGE_TOMBSTONES)
      .all();
    const out: WireTombstone[] = [];
    let bytes = 0;
    let cursor = after;
    for (const r of rows) {
      if (out.length > 0 && bytes + r.request.length > PAGE_BYTES) break;
      out.push({ request: JSON.parse(r.request), keep_until: r.keepUntil });
      bytes += r.request.length + 32;
      cursor = r.id;
    }
    const lastRow = this.d.store.db
      .select({ m: sql<number | null>`max(${tombstones.id})` })
      .from(tombstones)
      .get();
    const last = lastRow?.m ?? 0;
    const more = rows.length === PAGE_TOMBSTONES || out.length < rows.length;
    return { tombstones: out, ...(more ? { next: cursor } : {}), last };
  }

  /**
   * Applies tombstones a peer sent: each must parse as a client request of a repairable method for
   * an account of our swarm and carry that account's valid signature (its age does not matter).
   * Applied ones are kept here too, so they travel on.
   */
  async accept(list: readonly unknown[]): Promise<{ applied: number; refused: number }> {
    let applied = 0;
    let refused = 0;
    for (const item of list) {
      const outcome = await this.acceptOne(item);
      this.d.onAccepted?.(outcome);
      if (outcome === "applied") applied++;
      else if (outcome === "refused") refused++;
    }
    return { applied, refused };
  }

  private async acceptOne(item: unknown): Promise<"applied" | "known" | "refused" | "foreign"> {
    const now = this.d.clock.now();
    const parsed = wireTombstone.safeParse(item);
    if (!parsed.success) return "refused";
    const { request, keep_until } = parsed.data;
    if (keep_until <= now) return "known"; // nothing it covers can still be alive
    let req: RpcSubrequest;
    try {
      const r = parseRpcRequest(request);
      if (r.method === "batch" || r.method === "sequence" || r.method === "ifelse") return "refused";
      req = r as RpcSubrequest;
    } catch {
      return "refused";
    }
    if (!isRepairable(req)) return "refused";
    const owner = req.params.pubkey.hex;
    if (!this.d.membership.isMine(owner)) return "foreign";
    const json = JSON.stringify({ method: request.method, params: request.params });
    const known = this.d.store.db
      .select({ one: sql`1` })
      .from(tombstones)
      .where(eq(tombstones.key, keyOf(json)))
      .get();
    if (known) return "known";
    try {
      const requirement = authRequirementFor(req);
      if (!requirement) return "refused";
      await this.auth.verify(requirement);
    } catch {
      return "refused";
    }
    this.apply(req, this.d.clock.now());
    this.record(request, owner, Math.min(keep_until, now + MAX_KEEP_MS));
    return "applied";
  }

  /**
   * The effect of a verified request, bounded by what its signature says: the signed hashes; for
   * delete_all only messages up to its signed timestamp (not ones stored after it); expire only
   * ever shortens here, and only for a signer allowed to delete.
   */
  private apply(req: Repairable, now: number): number {
    const s = this.d.store;
    const owner = req.params.pubkey.hex;
    const count = (byNs: Record<string, string[]>) => Object.values(byNs).reduce((n, h) => n + h.length, 0);
    switch (req.method) {
      case "delete":
        return s.deleteHashes(owner, req.params.messages).length;
      case "delete_all":
        return count(s.deleteBefore(owner, req.params.namespace, req.params.timestamp));
      case "delete_before":
        return count(s.deleteBefore(owner, req.params.namespace, req.params.before));
      case "expire": {
        const sub = req.params.auth.subaccount;
        if (sub && (sub.token[1]! & SubaccountAccess.Delete) === 0) return 0;
        return s.expire(owner, req.params.messages, req.params.expiry, { shorten: true, extend: false }, now)
          .updated.length;
      }
    }
  }

  /**
   * Messages just imported from a peer (catch-up, rebalancing, redelivery) may be ones a kept
   * tombstone removed: apply the tombstones of their accounts again (verified when kept).
   */
  reapplyFor(owners: readonly string[]): number {
    const now = this.d.clock.now();
    let n = 0;
    for (let i = 0; i < owners.length; i += 500) {
      const rows = this.d.store.db
        .select({ request: tombstones.request })
        .from(tombstones)
        .where(and(inArray(tombstones.owner, owners.slice(i, i + 500)), gt(tombstones.keepUntil, now)))
        .orderBy(asc(tombstones.id))
        .all();
      for (const r of rows) {
        const req = parseRpcRequest(JSON.parse(r.request)) as RpcSubrequest;
        if (isRepairable(req)) n += this.apply(req, now);
      }
    }
    return n;
  }

  /**
   * Pulls and applies every swarm peer's tombstones kept since the last pull (all of them the
   * first time, and for a peer new to our swarm). One pull at a time; returns how many applied.
   */
  pull(): Promise<number> {
    return this.pulls.run();
  }

  /** Resolves once the pull in progress, if any, has ended (it never rejects). */
  settled(): Promise<void> {
    return this.pulls.settled();
  }

  private async pullAll(): Promise<number> {
    let applied = 0;
    const peers = this.d.membership.peers();
    const current = new Set(peers.map((p) => p.pubkey_ed25519));
    for (const key of this.cursors.keys()) if (!current.has(key)) this.cursors.delete(key);
    for (const peer of peers) applied += await this.pullFrom(peer);
    if (applied > 0) this.d.logger.info({ applied }, "applied deletes a swarm peer kept (tombstones)");
    return applied;
  }

  private async pullFrom(peer: NodeInfo): Promise<number> {
    const key = peer.pubkey_ed25519;
    let after = this.cursors.get(key) ?? 0;
    let applied = 0;
    try {
      for (let pages = 0; pages < 1000; pages++) {
        const res = await this.d.peers.post(peer, { action: "tombstones", after }, 15_000);
        if (res.status !== 200) return applied;
        const page = tombstonePageSchema.safeParse(res.body);
        if (!page.success) return applied;
        // A peer whose table restarted (a new database): read it from the start.
        if (page.data.last < after) {
          after = 0;
          this.cursors.set(key, 0);
          continue;
        }
        applied += (await this.accept(page.data.tombstones)).applied;
        const next = page.data.next;
        if (next === undefined || next <= after) {
          this.cursors.set(key, Math.max(after, page.data.last));
          return applied;
        }
        after = next;
        this.cursors.set(key, after);
      }
    } catch (err) {
      this.d.logger.debug({ err: String(err) }, "tombstone pull from a swarm peer failed");
    }
    return applied;
  }

  /** Drops tombstones past their keep time; returns how many. */
  sweep(now: number): number {
    return this.d.store.db.delete(tombstones).where(lte(tombstones.keepUntil, now)).run().changes;
  }

  count(now: number): number {
    return countRows(this.d.store.db, tombstones, gt(tombstones.keepUntil, now));
  }
}
