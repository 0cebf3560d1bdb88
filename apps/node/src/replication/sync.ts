import { fromBase64, toBase64 } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import type { Logger } from "pino";
import { z } from "zod";
import type { Revocation, SubaccountRevocations } from "../storage/revocations.ts";
import type { MessageStore, StoredMessage } from "../storage/store.ts";
import type { Membership } from "../swarm/membership.ts";
import type { PeerClient } from "./peer.ts";

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
  z.object({ action: z.literal("sync") }),
]);
export type PeerRequest = z.infer<typeof peerRequestSchema>;

const toWire = (m: StoredMessage) => ({ ...m, data: toBase64(m.data) });
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

/**
 * Keeps a swarm's members holding the same messages:
 * - `catchUp`: on start and after membership changes, pull every live message our swarm owns from
 *   each peer (a node that was down gets what it missed);
 * - `rebalance`: after membership changes, push messages whose owner now maps to another swarm
 *   to that swarm, and drop them here once a member accepted them.
 * Subaccount revocations go along with their account's messages both ways (oxenss keeps them
 * only on the nodes that received the revoke; moving them keeps a revoked token refused after
 * the account changes swarm or a member returns).
 */
export class SwarmSync {
  constructor(
    private readonly d: {
      store: MessageStore;
      revocations: SubaccountRevocations;
      membership: Membership;
      peers: PeerClient;
      clock: { now(): number };
      logger: Logger;
      onImported?: (m: StoredMessage) => void;
    },
  ) {}

  /** Answers a peer's `sync` and `import` actions (`forward` is the RPC handler's). */
  handlePeer(req: PeerRequest): unknown {
    const now = this.d.clock.now();
    if (req.action === "sync") {
      const mine = this.d.store.owners(now).filter((o) => this.d.membership.isMine(o));
      return {
        messages: this.d.store.messagesOf(mine, now).map(toWire),
        revocations: this.d.revocations.of(mine).map(revocationToWire),
      };
    }
    if (req.action === "import") {
      let imported = 0;
      for (const w of req.messages) {
        if (!this.d.membership.isMine(w.owner))
          throw new ProtocolError("WRONG_SWARM", "message does not belong here");
        const m = fromWire(w);
        if (m.expiry <= now) continue;
        if (this.d.store.store(m)) {
          imported++;
          this.d.onImported?.(m);
        }
      }
      for (const r of req.revocations ?? []) {
        if (!this.d.membership.isMine(r.owner))
          throw new ProtocolError("WRONG_SWARM", "revocation does not belong here");
      }
      this.d.revocations.import((req.revocations ?? []).map(revocationFromWire));
      return { imported };
    }
    throw new ProtocolError("BAD_REQUEST", "unexpected peer action");
  }

  async catchUp(): Promise<number> {
    let got = 0;
    for (const peer of this.d.membership.peers()) {
      try {
        const res = await this.d.peers.post(peer, { action: "sync" }, 15_000);
        if (res.status !== 200) continue;
        const parsed = z
          .object({ messages: z.array(wireMessage), revocations: wireRevocations })
          .safeParse(res.body);
        if (!parsed.success) continue;
        const now = this.d.clock.now();
        for (const w of parsed.data.messages) {
          if (w.expiry > now && this.d.membership.isMine(w.owner) && this.d.store.store(fromWire(w))) got++;
        }
        this.d.revocations.import(
          (parsed.data.revocations ?? [])
            .filter((r) => this.d.membership.isMine(r.owner))
            .map(revocationFromWire),
        );
      } catch (err) {
        this.d.logger.debug({ err: String(err) }, "catch-up from a peer failed");
      }
    }
    if (got > 0) this.d.logger.info({ messages: got }, "caught up from swarm peers");
    return got;
  }

  async rebalance(): Promise<number> {
    const now = this.d.clock.now();
    const foreign = this.d.store.owners(now).filter((o) => !this.d.membership.isMine(o));
    let moved = 0;
    const bySwarm = new Map<bigint, string[]>();
    for (const o of foreign) {
      const s = this.d.membership.swarmOf(o);
      if (s) bySwarm.set(s.id, [...(bySwarm.get(s.id) ?? []), o]);
    }
    for (const [id, owners] of bySwarm) {
      const members = this.d.membership.swarmOf(owners[0]!)?.members ?? [];
      const messages = this.d.store.messagesOf(owners, now).map(toWire);
      const revocations = this.d.revocations.of(owners).map(revocationToWire);
      let accepted = false;
      for (const m of members) {
        try {
          const res = await this.d.peers.post(m, { action: "import", messages, revocations }, 15_000);
          if (res.status === 200) accepted = true;
        } catch (err) {
          this.d.logger.debug({ err: String(err), swarm: id.toString(16) }, "push to new swarm failed");
        }
      }
      if (accepted) {
        this.d.store.deleteOwners(owners);
        this.d.revocations.dropOrphans();
        moved += messages.length;
      }
    }
    if (moved > 0) this.d.logger.info({ messages: moved }, "moved messages to their new swarm");
    return moved;
  }
}
