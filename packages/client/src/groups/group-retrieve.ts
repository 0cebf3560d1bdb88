import { fromBase64 } from "@session/crypto";
import { type Content, decodeEnvelope, type ParamsSigner, signRpcParams } from "@session/protocol";
import { decryptGroupMessage } from "@session/protocol/groups";
import { ClientError } from "../errors.ts";
import { unpadContent } from "../messages.ts";
import type { RpcReply } from "../network/transport.ts";
import type { GroupNetwork } from "./group-swarm.ts";

// Reading a group's swarm: batched retrieves of several namespaces with per-node last hashes, and
// opening one stored group message (split out of group.ts, whose `sync()` uses these).

export interface RetrievedRaw {
  hash: string;
  data: string;
  timestamp: number;
}

/** What retrieving needs of the Group (its last hashes are per node and namespace). */
export interface RetrieveContext {
  net: GroupNetwork;
  id: string;
  signer(): ParamsSigner;
  lastHash: Map<string, string>;
}

export function requestFailed(what: string, r: RpcReply): ClientError {
  if (r.status === 401)
    return new ClientError("NOT_GROUP_MEMBER", `${what}: the group swarm refused our credentials`, 401);
  return new ClientError("REQUEST_FAILED", `${what} failed: ${JSON.stringify(r.body)}`, r.status);
}

/** Retrieves new messages of `namespaces` from the group swarm, following `more` for up to 20 rounds. */
export async function retrieveAll(
  ctx: RetrieveContext,
  namespaces: number[],
): Promise<Map<number, RetrievedRaw[]>> {
  const out = new Map<number, RetrievedRaw[]>(namespaces.map((n) => [n, []]));
  let pending = [...namespaces];
  for (let round = 0; round < 20 && pending.length; round++) {
    const signer = ctx.signer();
    let nodeKey = "";
    const r = await ctx.net.swarmRpc(ctx.id, "batch", (dest) => {
      nodeKey = dest.pubkey_ed25519;
      return {
        requests: pending.map((ns) => {
          const last = ctx.lastHash.get(`${nodeKey}:${ns}`);
          return {
            method: "retrieve",
            params: signRpcParams(
              "retrieve",
              {
                pubkey: ctx.id,
                namespace: ns,
                timestamp: ctx.net.now(),
                ...(last ? { last_hash: last } : {}),
              },
              signer,
            ),
          };
        }),
      };
    });
    if (r.status !== 200) throw requestFailed("group retrieve", r);
    const results = (r.body as { results: { code: number; body: unknown }[] }).results;
    const again: number[] = [];
    results.forEach((res, i) => {
      const ns = pending[i]!;
      if (res.code === 401)
        throw new ClientError("NOT_GROUP_MEMBER", "the group swarm refused our credentials");
      if (res.code !== 200)
        throw new ClientError("REQUEST_FAILED", `group retrieve failed (${res.code})`, res.code);
      const body = res.body as { messages: RetrievedRaw[]; more?: boolean };
      for (const m of body.messages) {
        ctx.lastHash.set(`${nodeKey}:${ns}`, m.hash);
        out.get(ns)!.push(m);
      }
      if (body.more && body.messages.length) again.push(ns);
    });
    pending = again;
  }
  return out;
}

/**
 * A stored group message decrypted with one of `keys` and decoded, or undefined when it is not
 * for a key we hold (e.g. sent after our removal) or does not decode.
 */
export function openGroupMessage(
  keys: Uint8Array[],
  data: string,
): { sender: string; content: Content; timestamp: number } | undefined {
  try {
    const opened = decryptGroupMessage(keys, fromBase64(data));
    const env = decodeEnvelope(opened.plaintext);
    if (!env.content) return undefined;
    return { sender: opened.sender, content: unpadContent(env.content), timestamp: env.timestamp };
  } catch {
    return undefined;
  }
}
