import { computeMessageHash, isPublicOutboxNamespace, ProtocolError } from "@session/protocol";
import { type RpcSubrequest, storeResponseSignatureMessage } from "@session/protocol/rpc";
import { isDiskFull } from "@session/service-kit";
import type { WriteOutcome } from "../storage/shared-writer.ts";
import type { MessageStore, NewMessage } from "../storage/store.ts";
import type { PreparedStore, RpcHandlerDeps, RpcResult } from "./handler.ts";

// The store method's path: a client's store checked into a PreparedStore, then written (this
// turn's group commit, or a cluster worker's own connection: `StoreWriter`) and fanned out (split
// out of handler.ts).

/**
 * Where a store's row is written, resolving once it is committed: the node's own connection with
 * this turn's other stores (`turnWriter`), or a cluster worker's (storage/shared-writer.ts).
 */
export interface StoreWriter {
  write(m: NewMessage, now: number, options: { onlyMessageInNamespace?: boolean }): Promise<WriteOutcome>;
}

/** Writes through the store's group commit (one transaction per event-loop turn). */
export function turnWriter(store: MessageStore): StoreWriter {
  return {
    async write(m, now, options) {
      const isNew = store.storeInBatch(m, options);
      // Only a duplicate can carry a different (later) stored expiry.
      const expiry = isNew ? m.expiry : (store.get(m.hash, now)?.expiry ?? m.expiry);
      await store.durable();
      return { isNew, expiry };
    },
  };
}

/** What committing a store needs of the RpcHandler. */
export interface StorePathContext {
  d: RpcHandlerDeps;
  writer: StoreWriter;
  /** The `t` and `hf` every answer carries. */
  misc(): Record<string, unknown>;
  /** Sends a client's store on to the swarm peers, their entries into `swarm`. */
  fanOut(raw: unknown, swarm: Record<string, unknown>, storedHash: string): Promise<void>;
}

/** The hash, stored row and response signature of a store whose checks passed. */
export function preparedStoreOf(
  signB64: (msg: Uint8Array) => string,
  req: Extract<RpcSubrequest, { method: "store" }>,
  raw: unknown,
  now: number,
): PreparedStore {
  const p = req.params;
  const hash = computeMessageHash(p.pubkey, p.namespace, p.data);
  return {
    message: {
      hash,
      owner: p.pubkey.hex,
      namespace: p.namespace,
      timestamp: p.timestamp,
      expiry: p.expiry,
      data: p.data,
    },
    signature: signB64(storeResponseSignatureMessage(hash)),
    onlyMessageInNamespace: isPublicOutboxNamespace(p.namespace),
    request: raw,
    now,
  };
}

/**
 * Commits a store with this turn's others (group commit) and answers only once it is durable; a
 * store that does not commit is answered as oxenss answers it, and goes nowhere else. A new
 * message is announced (monitor streams) and a client's store fans out to the swarm.
 */
export async function commitStore(
  c: StorePathContext,
  p: PreparedStore,
  forwarded: boolean,
): Promise<RpcResult> {
  const m = p.message;
  let local: Record<string, unknown>;
  try {
    // A public outbox holds only the latest message (a duplicate keeps its row).
    const { isNew, expiry } = await c.writer.write(m, p.now, {
      onlyMessageInNamespace: p.onlyMessageInNamespace,
    });
    local = { hash: m.hash, signature: p.signature, expiry };
    if (!isNew) local.already = true;
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    return storeFailed(c, err, forwarded, p.now);
  }
  c.d.faults?.writeSucceeded();
  if (local.already !== true) {
    c.d.events.emit("stored", {
      pubkey: m.owner,
      namespace: m.namespace,
      hash: m.hash,
      timestamp: m.timestamp,
      expiry: m.expiry,
      data: m.data,
    });
  }
  // oxenss also puts `t` inside the entry node's own store entry (kept there for old clients).
  // Set on `local` rather than spread into a copy: `{ ...local, t }` builds a hidden class per
  // call on Node 20's V8, in old space (README, "Garbage the old generation collects").
  if (!forwarded) local.t = p.now;
  const swarm: Record<string, unknown> = { [c.d.selfEd25519Hex]: local };
  if (!forwarded) await c.fanOut(p.request, swarm, m.hash);
  return { status: 200, body: { swarm, ...c.misc(), hash: m.hash } };
}

/**
 * oxenss's answer to a store its database did not take: its own swarm entry is
 * `{failed: true, query_failure: true}` (the cause stays in our logs), and with no member having
 * stored it the status is 500. Not forwarded: peers are not asked to hold what this node refused.
 */
function storeFailed(c: StorePathContext, err: unknown, forwarded: boolean, now: number): RpcResult {
  if (!c.d.faults?.observe(err)) c.d.logger.error({ err }, "store failed to commit");
  // As on success, the entry node's own entry also carries `t`.
  const own = forwarded
    ? { failed: true, query_failure: true }
    : { failed: true, query_failure: true, t: now };
  return {
    status: 500,
    body: { swarm: { [c.d.selfEd25519Hex]: own }, ...c.misc() },
    code: isDiskFull(err) ? "STORAGE_FULL" : "INTERNAL",
  };
}
