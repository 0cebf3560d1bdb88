import { type NodeInfo, signRpcParams } from "@session/protocol";
import type { RpcSigner } from "./client-network.ts";
import { DEFAULT_TTL } from "./client-options.ts";
import { ClientError } from "./errors.ts";
import { expirationOf, type IncomingMessage, openMessage } from "./messages.ts";
import type { RpcReply } from "./network/transport.ts";
import { recordIncoming } from "./state/conversations.ts";
import type { ClientStore } from "./state/store.ts";
import type { UserConfigs } from "./state/user-configs.ts";

// The receive side of a SessionClient: one poll of the account's swarm, turning stored messages
// into delivered IncomingMessages (split out of client.ts, whose `poll()` calls this).

/** What one poll needs of the client. */
export interface ReceiveContext {
  sessionId: string;
  secretKey: Uint8Array;
  store: ClientStore;
  /** `history` mode: last hashes and seen hashes are kept for this run only (in these two). */
  history: boolean;
  runLastHash: Map<string, string>;
  runSeen: Set<string>;
  now(): number;
  signer: RpcSigner;
  swarmRpc(
    account: string,
    method: string,
    params: (dest: NodeInfo) => unknown,
  ): Promise<RpcReply & { node: NodeInfo }>;
  /** Set when the account's configs are synced: pulled before the messages. */
  syncConfigs: (() => Promise<unknown>) | undefined;
  contactChanged(id: string, patch: Parameters<UserConfigs["updateContact"]>[1]): Promise<void>;
  /** Reports an error that must not stop the poll. */
  report(err: Error): void;
  /** Hands one new message to the client's listeners. */
  deliver(msg: IncomingMessage): void;
}

function lastHash(ctx: ReceiveContext, node: string): Promise<string | undefined> | string | undefined {
  return ctx.history ? ctx.runLastHash.get(node) : ctx.store.lastHash(node, 0);
}

async function firstSeen(ctx: ReceiveContext, hash: string, expiresAt: number): Promise<boolean> {
  const stored = await ctx.store.markSeen(hash, expiresAt);
  if (!ctx.history) return stored;
  if (ctx.runSeen.has(hash)) return false;
  ctx.runSeen.add(hash);
  return true;
}

/** Fetches new messages from the account's swarm (deduplicated across members) and delivers them. */
export async function pollOnce(ctx: ReceiveContext): Promise<IncomingMessage[]> {
  if (ctx.syncConfigs) {
    // Configs first: a block or acceptance made on another device applies to these messages.
    try {
      await ctx.syncConfigs();
    } catch (err) {
      ctx.report(err as Error);
    }
  }
  // last_hash is tracked per node: each member numbers messages in its own order.
  const r = await ctx.swarmRpc(ctx.sessionId, "retrieve", async (dest) => {
    const last = await lastHash(ctx, dest.pubkey_ed25519);
    return signRpcParams(
      "retrieve",
      { pubkey: ctx.sessionId, namespace: 0, timestamp: ctx.now(), ...(last ? { last_hash: last } : {}) },
      ctx.signer,
    );
  });
  const key = r.node.pubkey_ed25519;
  if (r.status !== 200) throw new ClientError("REQUEST_FAILED", `retrieve failed (${r.status})`, r.status);
  const body = r.body as { messages: { hash: string; data: string; expiration?: number }[] };
  const out: IncomingMessage[] = [];
  for (const m of body.messages) {
    const fresh = await firstSeen(ctx, m.hash, m.expiration ?? ctx.now() + DEFAULT_TTL);
    if (ctx.history) ctx.runLastHash.set(key, m.hash);
    else await ctx.store.setLastHash(key, 0, m.hash);
    if (!fresh) continue;
    const opened = openMessage(ctx.secretKey, m.data);
    if (!opened) continue;
    const verdict = await recordIncoming(
      ctx.store,
      ctx.sessionId,
      opened.from,
      opened.content,
      opened.timestamp,
    );
    if (!verdict.deliver) continue;
    if (opened.from !== ctx.sessionId) {
      const response = opened.content.messageRequestResponse;
      const name = response?.profile?.displayName ?? opened.content.dataMessage?.profile?.displayName;
      const c = response || name ? await ctx.store.conversation(opened.from) : undefined;
      if (c?.approved)
        await ctx.contactChanged(opened.from, {
          approvedMe: c.approvedMe,
          ...(name ? { name } : {}),
        });
    }
    const msg: IncomingMessage = {
      hash: m.hash,
      from: opened.from,
      text: opened.content.dataMessage?.body,
      timestamp: opened.timestamp,
      isRequest: verdict.isRequest,
      content: opened.content,
    };
    const target = opened.from === ctx.sessionId ? opened.content.dataMessage?.syncTarget : undefined;
    if (target) msg.syncTarget = target;
    const exp = expirationOf(opened.content);
    if (exp) msg.expiration = exp;
    out.push(msg);
    ctx.deliver(msg);
  }
  return out;
}
