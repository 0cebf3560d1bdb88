import { z } from "zod";
import type { NodeInfo } from "./node-info.ts";

/*
 * Seed node bootstrap, as Session clients do it: POST /json_rpc with a JSON-RPC 2.0 call of
 * `get_n_service_nodes` (oxend GET_SERVICE_NODES; aliases get_service_nodes,
 * get_all_service_nodes) asking for a set of fields; the answer lists only those fields.
 */

export const SEED_JSON_RPC_PATH = "/json_rpc";
export const SEED_METHODS = ["get_n_service_nodes", "get_service_nodes", "get_all_service_nodes"] as const;

/** Field names a client may ask for (the ones this network's registry can answer). */
export const NODE_FIELDS = [
  "service_node_pubkey",
  "pubkey_ed25519",
  "pubkey_x25519",
  "public_ip",
  "storage_port",
  "storage_lmq_port",
  "swarm_id",
  "active",
] as const;
export type NodeField = (typeof NODE_FIELDS)[number];

/** `fields` as `{ name: true }` (what Session clients send) or a list of names (newer oxend). */
const fieldsSchema = z.union([z.record(z.string(), z.boolean()), z.array(z.string())]);

export const seedRequestSchema = z.object({
  jsonrpc: z.literal("2.0").optional(),
  id: z.union([z.string(), z.number()]).optional(),
  method: z.enum(SEED_METHODS),
  params: z
    .object({
      active_only: z.boolean().optional(),
      limit: z.number().int().optional(),
      fields: fieldsSchema.optional(),
    })
    .optional(),
});
export type SeedRequest = z.infer<typeof seedRequestSchema>;

/** The requested field names; no `fields` (or `"all"`) means every field. */
export function requestedNodeFields(fields: z.infer<typeof fieldsSchema> | undefined): NodeField[] {
  if (fields === undefined) return [...NODE_FIELDS];
  const names = Array.isArray(fields)
    ? fields
    : Object.entries(fields)
        .filter(([, on]) => on)
        .map(([k]) => k);
  if (names.includes("all")) return [...NODE_FIELDS];
  return NODE_FIELDS.filter((f) => names.includes(f));
}

/** A node reduced to the requested fields (server side of the seed call). */
export function selectNodeFields(node: NodeInfo, fields: readonly NodeField[]): Partial<NodeInfo> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (node[f] !== undefined) out[f] = node[f];
  return out as Partial<NodeInfo>;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
/** A seed-listed node: any subset of the fields; swarm_id as decimal string or (oxend) number. */
export const seedNodeSchema = z.looseObject({
  service_node_pubkey: hex64.optional(),
  pubkey_ed25519: hex64.optional(),
  pubkey_x25519: hex64.optional(),
  public_ip: z.string().optional(),
  storage_port: z.number().int().min(0).max(65535).optional(),
  storage_lmq_port: z.number().int().min(0).max(65535).optional(),
  swarm_id: z.union([z.string().regex(/^[0-9]{1,20}$/), z.number().int().nonnegative()]).optional(),
  active: z.boolean().optional(),
});
export type SeedNode = z.infer<typeof seedNodeSchema>;

export const seedResponseSchema = z.looseObject({
  jsonrpc: z.literal("2.0").optional(),
  id: z.union([z.string(), z.number()]).optional(),
  result: z.looseObject({
    service_node_states: z.array(seedNodeSchema),
    height: z.number().int().optional(),
  }),
});
export type SeedResponse = z.infer<typeof seedResponseSchema>;

/** Usable nodes from a seed answer: keys, IP and port present, and not the 0.0.0.0 placeholder. */
export type ReachableNode = Required<
  Pick<SeedNode, "pubkey_ed25519" | "pubkey_x25519" | "public_ip" | "storage_port">
>;

export function usableSeedNodes(res: SeedResponse): ReachableNode[] {
  const out: ReachableNode[] = [];
  for (const n of res.result.service_node_states) {
    if (n.pubkey_ed25519 && n.pubkey_x25519 && n.public_ip && n.public_ip !== "0.0.0.0" && n.storage_port) {
      out.push({
        pubkey_ed25519: n.pubkey_ed25519,
        pubkey_x25519: n.pubkey_x25519,
        public_ip: n.public_ip,
        storage_port: n.storage_port,
      });
    }
  }
  return out;
}
