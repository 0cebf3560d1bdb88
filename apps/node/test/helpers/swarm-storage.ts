import {
  authRequirementFor,
  computeMessageHash,
  type NodeInfo,
  ProtocolError,
  parseRpcRequest,
  swarmForPubkey,
  swarmInfoBody,
  toSwarmSnode,
  verifyAuth,
} from "@session/protocol";
import type { StoredMessage } from "../../src/monitor/hub.ts";
import { ed25519Verifier } from "../../src/monitor/signature-verifier.ts";

/*
 * STAND-IN for apps/node's storage RPC, used only by the onion swarm test while the node's own
 * storage (another helper's part) is not in the tree: store and retrieve kept in memory,
 * parsed, authenticated and swarm-checked with @session/protocol exactly as a node must
 * (421 + swarm body for a pubkey this node's swarm does not serve). Swap for the real
 * `ctx.rpc.handle` once src/deps.ts / createApp exist.
 */

interface Stored {
  hash: string;
  namespace: number;
  timestamp: number;
  expiration: number;
  data: string;
}

export function swarmStorage(opts: {
  mySwarm: bigint;
  swarms: Map<bigint, NodeInfo[]>;
  onStored?: (m: StoredMessage) => void;
}) {
  const byAccount = new Map<string, Stored[]>();
  const swarmIds = [...opts.swarms.keys()];
  return async (body: unknown): Promise<{ status: number; body: unknown }> => {
    try {
      const req = parseRpcRequest(body);
      if (req.method !== "store" && req.method !== "retrieve") {
        return { status: 400, body: `${req.method} is not supported by this test storage` };
      }
      const pubkey = req.params.pubkey.hex;
      const owner = swarmForPubkey(pubkey, swarmIds);
      if (owner !== opts.mySwarm) {
        return { status: 421, body: swarmInfoBody((opts.swarms.get(owner) ?? []).map(toSwarmSnode), owner) };
      }
      const requirement = authRequirementFor(req);
      if (requirement) verifyAuth(ed25519Verifier, requirement);
      const list = byAccount.get(pubkey) ?? [];
      byAccount.set(pubkey, list);
      if (req.method === "store") {
        const p = req.params;
        const hash = computeMessageHash(p.pubkey, p.namespace, p.data);
        list.push({
          hash,
          namespace: p.namespace,
          timestamp: p.timestamp,
          expiration: p.expiry,
          data: Buffer.from(p.data).toString("base64"),
        });
        opts.onStored?.({
          pubkey,
          namespace: p.namespace,
          hash,
          timestamp: p.timestamp,
          expiry: p.expiry,
          data: p.data,
        });
        return { status: 200, body: { hash } };
      }
      const messages = list.filter((m) => m.namespace === req.params.namespace);
      return { status: 200, body: { messages, more: false } };
    } catch (err) {
      if (err instanceof ProtocolError) return { status: err.status, body: err.message };
      throw err;
    }
  };
}
