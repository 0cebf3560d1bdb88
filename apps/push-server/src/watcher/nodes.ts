import { type NodeInfo, nodeInfoSchema, swarmForPubkey } from "@session/protocol";
import { z } from "zod";

const listSchema = z.object({ result: z.object({ service_node_states: z.array(nodeInfoSchema) }) });

/** Node list from a storage node's `oxend_request get_service_nodes` (tries each seed in turn). */
export function seedNodeSource(seeds: readonly string[], fetchFn: typeof fetch): () => Promise<NodeInfo[]> {
  return async () => {
    let last: unknown;
    for (const seed of seeds) {
      try {
        const res = await fetchFn(`${seed.replace(/\/$/, "")}/storage_rpc/v1`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ method: "oxend_request", params: { endpoint: "get_service_nodes" } }),
          signal: AbortSignal.timeout(10_000),
        });
        const nodes = listSchema.parse(await res.json()).result.service_node_states;
        if (nodes.length > 0) return nodes;
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no seed node answered (${String(last ?? "empty node list")})`);
  };
}

const indexerSchema = z.object({ nodes: z.array(nodeInfoSchema) });

/** Node list from an sns-indexer's `GET /v1/nodes` (active nodes with their swarm ids). */
export function indexerNodeSource(indexerUrl: string, fetchFn: typeof fetch): () => Promise<NodeInfo[]> {
  return async () => {
    const res = await fetchFn(`${indexerUrl.replace(/\/$/, "")}/v1/nodes`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`indexer answered HTTP ${res.status}`);
    const nodes = indexerSchema.parse(await res.json()).nodes;
    if (nodes.length === 0) throw new Error("indexer lists no active nodes");
    return nodes;
  };
}

/** Members of the swarm storing `pubkey`, in a stable order (by Ed25519 key). */
export function swarmMembers(nodes: readonly NodeInfo[], pubkey: string): NodeInfo[] {
  const active = nodes.filter((n) => n.active !== false);
  const ids = [...new Set(active.map((n) => BigInt(n.swarm_id)))];
  if (ids.length === 0) return [];
  const id = swarmForPubkey(pubkey, ids);
  return active
    .filter((n) => BigInt(n.swarm_id) === id)
    .sort((a, b) => (a.pubkey_ed25519 < b.pubkey_ed25519 ? -1 : 1));
}
