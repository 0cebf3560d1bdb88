import { fromBase64, toBase64 } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import { ProtocolError } from "@session/protocol";
import type { Logger } from "pino";
import { z } from "zod";
import type { Revocation, SubaccountRevocations } from "../storage/revocations.ts";
import type { MessageStore, StoredMessage } from "../storage/store.ts";
import type { Membership } from "../swarm/membership.ts";
import type { PeerClient } from "./peer.ts";
import type { Tombstones } from "./tombstones.ts";

const wireMessage = z.object({
  hash: z.string().min(1).max(100),
  owner: z.string().regex(/^[0-9a-f]{66}$/),
  namespace: z.number().int(),
  timestamp: z.number().int(),
  expiry: z.number().int(),
  data: z.string(),
});
/** A revoked subaccount token travels with its account's messages. */
const wireRevocation = z.object({
  owner: z.string().regex(/^[0-9a-f]{66}$/),
  token: z.string().length(48),
  revoked_at: z.number().int(),
});
const wireRevocations = z.array(wireRevocation).max(100_000).optional();
export const peerRequestSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("forward"), request: z.unknown() }),
  z.object({
    action: z.literal("import"),
    messages: z.array(wireMessage).max(10_000),
    revocations: wireRevocations,
  }),
  // `after`: the cursor a previous page answered as `next` (absent: from the start).
  z.object({ action: z.literal("sync"), after: z.number().int().nonnegative().optional() }),
  // The deletes and shortenings kept here after row `after` (tombstones.ts).
  z.object({ action: z.literal("tombstones"), after: z.number().int().nonnegative().optional() }),
]);
export type PeerRequest = z.infer<typeof peerRequestSchema>;

/** A sync answer: one page of messages, and the cursor of the next page when there is one. */
const syncPageSchema = z.object({
  messages: z.array(wireMessage),
  revocations: wireRevocations,
  next: z.number().int().nonnegative().optional(),
});

/**
 * How much one replication request carries (a sync answer, a rebalancing import). Pages keep
 * every request within the peers' body limit and the time it takes within its timeout, however
 * many messages a swarm holds.
 */
export interface ReplicationPage {
  messages: number;
  /** Body bytes: each message's base64 data plus 256 for its other fields. */
  bytes: number;
}
// A page is written in one transaction on arrival: 12–32 ms of event loop for 2000 messages of 1 KiB.
export const DEFAULT_REPLICATION_PAGE: ReplicationPage = { messages: 2000, bytes: 2 << 20 };
/** Rows read per query while paging. */
const SCAN_ROWS = 1000;
/** Accounts read per owner-index query while rebalancing. */
const OWNERS_PER_SCAN = 500;
/** Rows one sync answer may look at, kept or not (a table of mostly foreign rows). */
const MAX_SCAN_ROWS = 50_000;

/** What a message adds to a request body: its base64 data and, generously, its other fields. */
export const wireBytes = (m: StoredMessage) => Math.ceil(m.data.length / 3) * 4 + 256;
export const toWire = (m: StoredMessage) => ({
  hash: m.hash,
  owner: m.owner,
  namespace: m.namespace,
  timestamp: m.timestamp,
  expiry: m.expiry,
  data: toBase64(m.data),
});
const fromWire = (m: z.infer<typeof wireMessage>): StoredMessage => ({ ...m, data: fromBase64(m.data) });
const revocationToWire = (r: Revocation) => ({
  owner: r.owner,
  token: toBase64(r.token),
  revoked_at: r.revokedAt,
});
const revocationFromWire = (r: z.infer<typeof wireRevocation>): Revocation => ({
  owner: r.owner,
  token: fromBase64(r.token),
  revokedAt: r.revoked_at,
});

/** What catch-up, rebalancing and redelivery work with. */
export interface ReplicationDeps {
  store: MessageStore;
  membership: Membership;
  peers: PeerClient;
  clock: { now(): number };
  logger: Logger;
}

/**
 * Keeps a swarm's members holding the same messages:
 * - `catchUp`: when this node is new to its swarm (it started, or a re-cut moved it), pull every
 *   live message our swarm owns from each peer (a node that was down gets what it missed);
 * - `rebalance`: after membership changes, push messages whose owner now maps to another swarm
 *   to that swarm, and drop them here once a member accepted them.
 * Subaccount revocations go along with their account's messages both ways (oxenss keeps them
 * only on the nodes that received the revoke; moving them keeps a revoked token refused after
 * the account changes swarm or a member returns).
 * Both move a page at a time (`ReplicationPage`), walking messages in row order (rebalancing
 * finds the accounts that moved from the owner index first): neither side ever holds more than a
 * page in memory or sends more than a page in one request.
 */
export class SwarmSync {
  constructor(
    private readonly d: ReplicationDeps & {
      revocations: SubaccountRevocations;
      onImported?: (m: StoredMessage) => void;
      /** Each catch-up page this node answers ("served") or receives ("fetched"). */
      onSyncPage?: (direction: "served" | "fetched") => void;
      page?: ReplicationPage;
      /** Deletes kept here: served to peers, and applied again to what peers send. */
      tombstones?: Pick<Tombstones, "page" | "reapplyFor">;
    },
  ) {}

  /** Messages that just arrived may be ones a kept tombstone removed: remove them again. */
  private reapplyTombstones(added: readonly StoredMessage[]): number {
    if (added.length === 0 || !this.d.tombstones) return 0;
    return this.d.tombstones.reapplyFor([...new Set(added.map((m) => m.owner))]);
  }

  private get page(): ReplicationPage {
    return this.d.page ?? DEFAULT_REPLICATION_PAGE;
  }

  /** One page of our swarm's live messages after row `after`, with the next page's cursor. */
  private syncPage(after: number, now: number) {
    const out: StoredMessage[] = [];
    let bytes = 0;
    let scanned = 0;
    let cursor = after;
    for (;;) {
      const rows = this.d.store.liveAfter(cursor, now, SCAN_ROWS);
      for (const r of rows) {
        cursor = r.id;
        scanned++;
        if (this.d.membership.isMine(r.owner)) {
          out.push(r);
          bytes += wireBytes(r);
        }
        if (out.length >= this.page.messages || bytes >= this.page.bytes || scanned >= MAX_SCAN_ROWS)
          return { messages: out, next: cursor };
      }
      if (rows.length < SCAN_ROWS) return { messages: out, next: undefined };
    }
  }

  /** Answers a peer's `sync` and `import` actions (`forward` is the RPC handler's). */
  handlePeer(req: PeerRequest): unknown {
    const now = this.d.clock.now();
    if (req.action === "sync") {
      const page = this.syncPage(req.after ?? 0, now);
      this.d.onSyncPage?.("served");
      const owners = [...new Set(page.messages.map((m) => m.owner))];
      return {
        messages: page.messages.map(toWire),
        revocations: this.d.revocations.of(owners).map(revocationToWire),
        ...(page.next !== undefined ? { next: page.next } : {}),
      };
    }
    if (req.action === "tombstones") {
      if (!this.d.tombstones) throw new ProtocolError("BAD_REQUEST", "unexpected peer action");
      return this.d.tombstones.page(req.after ?? 0, now);
    }
    if (req.action === "import") {
      // Checked whole before anything is written: a page is taken entirely or not at all.
      for (const w of req.messages) {
        if (!this.d.membership.isMine(w.owner))
          throw new ProtocolError("WRONG_SWARM", "message does not belong here");
      }
      for (const r of req.revocations ?? []) {
        if (!this.d.membership.isMine(r.owner))
          throw new ProtocolError("WRONG_SWARM", "revocation does not belong here");
      }
      const added = this.d.store.storeMany(req.messages.map(fromWire).filter((m) => m.expiry > now));
      const removed = this.reapplyTombstones(added);
      // Announced (monitor) only if still here: a tombstone may have removed it again.
      for (const m of added) if (removed === 0 || this.d.store.get(m.hash, now)) this.d.onImported?.(m);
      this.d.revocations.import((req.revocations ?? []).map(revocationFromWire));
      return { imported: added.length };
    }
    throw new ProtocolError("BAD_REQUEST", "unexpected peer action");
  }

  /**
   * Pulls every live message of our swarm from each peer (or from the peers in `from`), a page
   * at a time. `done`: the peers whose every page came; the others can be asked again later.
   */
  async catchUp(from?: ReadonlySet<string>): Promise<{ messages: number; done: string[] }> {
    let got = 0;
    const done: string[] = [];
    for (const peer of this.d.membership.peers()) {
      if (from && !from.has(peer.pubkey_ed25519)) continue;
      let after = 0;
      let pages = 0;
      try {
        for (;;) {
          const res = await this.d.peers.post(peer, { action: "sync", after }, 15_000);
          if (res.status !== 200) break;
          const parsed = syncPageSchema.safeParse(res.body);
          if (!parsed.success) break;
          this.d.onSyncPage?.("fetched");
          const now = this.d.clock.now();
          const added = this.d.store.storeMany(
            parsed.data.messages
              .filter((w) => w.expiry > now && this.d.membership.isMine(w.owner))
              .map(fromWire),
          );
          this.reapplyTombstones(added);
          got += added.length;
          // After the page's messages: revocations are kept only for accounts with messages here.
          this.d.revocations.import(
            (parsed.data.revocations ?? [])
              .filter((r) => this.d.membership.isMine(r.owner))
              .map(revocationFromWire),
          );
          pages++;
          const next = parsed.data.next;
          if (next === undefined) {
            done.push(peer.pubkey_ed25519);
            break;
          }
          // A peer's cursor must move forward, or its pages would never end.
          if (next <= after) break;
          after = next;
          if (pages % 10 === 0) this.d.logger.info({ pages, messages: got }, "catching up from a swarm peer");
        }
      } catch (err) {
        this.d.logger.debug({ err: String(err), pages }, "catch-up from a peer failed");
      }
    }
    if (got > 0) this.d.logger.info({ messages: got }, "caught up from swarm peers");
    return { messages: got, done };
  }

  /**
   * Pushes the messages whose owner now maps to another swarm to that swarm, a page per import
   * request, and deletes each page here once a member of that swarm accepted it. A page no member
   * accepted stays, for the next membership change or restart.
   */
  async rebalance(): Promise<number> {
    const now = this.d.clock.now();
    const buckets = new Map<bigint, { members: NodeInfo[]; messages: StoredMessage[]; bytes: number }>();
    let moved = 0;
    let kept = 0;
    let pages = 0;
    const push = async (swarm: bigint, b: { members: NodeInfo[]; messages: StoredMessage[] }) => {
      const owners = [...new Set(b.messages.map((m) => m.owner))];
      const body = {
        action: "import",
        messages: b.messages.map(toWire),
        revocations: this.d.revocations.of(owners).map(revocationToWire),
      };
      let accepted = false;
      for (const m of b.members) {
        try {
          const res = await this.d.peers.post(m, body, 15_000);
          if (res.status === 200) accepted = true;
        } catch (err) {
          this.d.logger.debug({ err: String(err), swarm: swarm.toString(16) }, "push to new swarm failed");
        }
      }
      if (accepted) {
        this.d.store.deleteByHash(b.messages.map((m) => m.hash));
        moved += b.messages.length;
      } else kept += b.messages.length;
      if (++pages % 10 === 0)
        this.d.logger.info({ pages, moved, kept }, "moving messages to their new swarms");
    };
    // The accounts come from the owner index, a few hundred at a time; only the messages of
    // accounts that now belong elsewhere are read.
    let ownerCursor = "";
    for (;;) {
      const owners = this.d.store.ownersAfter(ownerCursor, OWNERS_PER_SCAN);
      const foreign = new Map<bigint, { members: NodeInfo[]; owners: string[] }>();
      for (const o of owners) {
        if (this.d.membership.isMine(o)) continue;
        const swarm = this.d.membership.swarmOf(o);
        if (!swarm) continue;
        const f = foreign.get(swarm.id) ?? { members: swarm.members, owners: [] };
        f.owners.push(o);
        foreign.set(swarm.id, f);
      }
      for (const [id, f] of foreign) {
        let cursor = 0;
        for (;;) {
          const rows = this.d.store.liveAfter(cursor, now, SCAN_ROWS, f.owners);
          for (const r of rows) {
            cursor = r.id;
            let b = buckets.get(id);
            if (!b) {
              b = { members: f.members, messages: [], bytes: 0 };
              buckets.set(id, b);
            }
            b.messages.push(r);
            b.bytes += wireBytes(r);
            if (b.messages.length >= this.page.messages || b.bytes >= this.page.bytes) {
              buckets.delete(id);
              await push(id, b);
            }
          }
          if (rows.length < SCAN_ROWS) break;
        }
      }
      if (owners.length < OWNERS_PER_SCAN) break;
      ownerCursor = owners.at(-1)!;
    }
    for (const [swarm, b] of buckets) await push(swarm, b);
    if (moved > 0) {
      this.d.revocations.dropOrphans();
      this.d.logger.info({ messages: moved }, "moved messages to their new swarm");
    }
    if (kept > 0)
      this.d.logger.warn({ messages: kept }, "no member of their new swarm took these messages yet");
    return moved;
  }
}
