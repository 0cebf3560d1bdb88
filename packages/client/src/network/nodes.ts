import { type NodeInfo, nodeInfoSchema, swarmForPubkey } from "@session/protocol";
import { z } from "zod";
import { ClientError } from "../errors.ts";

const listSchema = z.object({ result: z.object({ service_node_states: z.array(nodeInfoSchema) }) });

export interface NodePoolHooks {
  /** The list was replaced (fetched, or taken from a cache): persist it. */
  onReplace?: (nodes: readonly NodeInfo[], at: number) => void;
  /** A seed answered (body, local times around the request): the clock learns from its `t`. */
  onSeedReply?: (body: unknown, sentAt: number, receivedAt: number) => void;
  /** Local clock (ms). */
  now?: () => number;
}

/**
 * The client's view of the network: the node list (fetched from seed nodes at bootstrap, the one
 * step a client must do directly, as Session clients do) and swarm lookups, with corrections
 * learnt from "wrong swarm" answers.
 */
export class NodePool {
  private nodes: NodeInfo[] = [];
  private readonly swarmOverrides = new Map<string, NodeInfo[]>();
  /** When the list was last replaced (ms since epoch; 0: never). */
  refreshedAt = 0;

  constructor(
    private readonly seeds: readonly string[],
    private readonly fetchFn: typeof fetch,
    private readonly hooks: NodePoolHooks = {},
  ) {}

  list(): readonly NodeInfo[] {
    return this.nodes;
  }

  async bootstrap(): Promise<NodeInfo[]> {
    const problems: string[] = [];
    for (const seed of this.seeds) {
      const base = seed.replace(/\/$/, "");
      let res: Response;
      const now = this.hooks.now ?? Date.now;
      const sentAt = now();
      try {
        res = await this.fetchFn(`${base}/storage_rpc/v1`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ method: "oxend_request", params: { endpoint: "get_service_nodes" } }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (err) {
        const why =
          err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
        problems.push(`seed node unreachable: ${base} (${why})`);
        continue;
      }
      // Something answered: it must answer like a node (a JSON node list).
      let list: NodeInfo[];
      try {
        const body: unknown = await res.json();
        this.hooks.onSeedReply?.(body, sentAt, now());
        list = parseNodeList(body);
      } catch {
        problems.push(`not a seed node: ${base} (HTTP ${res.status}, no node list)`);
        continue;
      }
      if (this.replace(list)) return this.nodes;
      problems.push(`seed node ${base} knows no nodes yet`);
    }
    throw new ClientError("NETWORK_UNAVAILABLE", problems.join("; ") || "no seed nodes given");
  }

  /**
   * Takes a node list fetched from the network (`get_service_nodes` through an onion path):
   * an empty list is ignored (a node without a registry view must not empty ours). Swarm
   * corrections are dropped, as the swarms are computed afresh from the new list. `at`: when the
   * list was fetched (a cached list keeps its age).
   */
  replace(list: readonly NodeInfo[], at = (this.hooks.now ?? Date.now)()): boolean {
    if (list.length === 0) return false;
    this.nodes = [...list];
    this.swarmOverrides.clear();
    this.refreshedAt = at;
    this.hooks.onReplace?.(this.nodes, at);
    return true;
  }

  /** Members of the swarm that stores `sessionId`'s messages. */
  swarmOf(sessionId: string): NodeInfo[] {
    const override = this.swarmOverrides.get(sessionId);
    if (override?.length) return override;
    const ids = [...new Set(this.nodes.map((n) => BigInt(n.swarm_id)))];
    if (ids.length === 0)
      throw new ClientError("NETWORK_UNAVAILABLE", "node list is empty (bootstrap first)");
    const id = swarmForPubkey(sessionId, ids);
    return this.nodes.filter((n) => BigInt(n.swarm_id) === id);
  }

  /** A 421 answer told us the right swarm: use its members for this account from now on. */
  learnSwarm(sessionId: string, snodes: readonly { pubkey_ed25519: string }[]): void {
    const members = snodes
      .map((s) => this.nodes.find((n) => n.pubkey_ed25519 === s.pubkey_ed25519))
      .filter((n): n is NodeInfo => n !== undefined);
    if (members.length > 0) this.swarmOverrides.set(sessionId, members);
  }
}

/** The node list of an `oxend_request get_service_nodes` answer body. */
export function parseNodeList(body: unknown): NodeInfo[] {
  return listSchema.parse(body).result.service_node_states;
}
