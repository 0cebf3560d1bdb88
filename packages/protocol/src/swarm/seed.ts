import { z } from "zod";
import { SERVICE_NODE_METHODS } from "./service-nodes.ts";

/*
 * Seed node bootstrap, as Session clients do it: POST /json_rpc with a JSON-RPC 2.0 call of
 * `get_n_service_nodes` (oxend GET_SERVICE_NODES; aliases get_service_nodes,
 * get_all_service_nodes) asking for a set of fields; the answer lists only those fields.
 */

export const SEED_JSON_RPC_PATH = "/json_rpc";
export const SEED_METHODS = SERVICE_NODE_METHODS;

/** `fields` as `{ name: true }` (what Session clients send) or a list of names (newer oxend). */
const fieldsSchema = z.union([z.record(z.string(), z.boolean()), z.array(z.string())]);

/** A seed request as a client builds it (the server side is `answerServiceNodesJsonRpc`). */
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
