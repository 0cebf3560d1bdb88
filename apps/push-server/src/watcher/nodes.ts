import { type PinnedSeed, parseSeed, seedHttp } from "@session/node-tls";
import { type NodeInfo, nodeInfoSchema, swarmForPubkey } from "@session/protocol";
import { z } from "zod";

const listSchema = z.object({ result: z.object({ service_node_states: z.array(nodeInfoSchema) }) });

/**
 * Node list from a storage node's `oxend_request get_service_nodes` (tries each seed in turn).
 * Https seeds are pinned (`https://host:port#sha256=…` or `{ url, certSha256 }`) and reached only
 * when they show that certificate; `fetchFn` replaces that (tests).
 */
export function seedNodeSource(
  seedList: readonly (string | PinnedSeed)[],
  fetchFn?: typeof fetch,
): () => Promise<NodeInfo[]> {
  const seeds = seedList.map(parseSeed);
  const f = fetchFn ?? seedHttp(seeds).fetch;
  return async () => {
    let last: unknown;
    for (const { url: seed } of seeds) {
      try {
        const res = await f(`${seed}/storage_rpc/v1`, {
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

/** Active nodes grouped by swarm, built once per node list (member lists sorted by Ed25519 key). */
export interface SwarmIndex {
  ids: bigint[];
  members: Map<bigint, NodeInfo[]>;
}

export function swarmIndex(nodes: readonly NodeInfo[]): SwarmIndex {
  const members = new Map<bigint, NodeInfo[]>();
  for (const n of nodes) {
    if (n.active === false) continue;
    const id = BigInt(n.swarm_id);
    const list = members.get(id) ?? [];
    list.push(n);
    members.set(id, list);
  }
  for (const list of members.values()) list.sort((a, b) => (a.pubkey_ed25519 < b.pubkey_ed25519 ? -1 : 1));
  return { ids: [...members.keys()], members };
}

/** Members of the swarm storing `pubkey`, in a stable order (by Ed25519 key). */
export function swarmMembers(nodes: readonly NodeInfo[] | SwarmIndex, pubkey: string): NodeInfo[] {
  const index = "ids" in nodes ? nodes : swarmIndex(nodes);
  if (index.ids.length === 0) return [];
  return index.members.get(swarmForPubkey(pubkey, index.ids)) ?? [];
}
