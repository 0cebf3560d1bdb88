import { fromHex } from "@session/crypto";
import { z } from "zod";
import { toBase32z } from "../base32z.ts";
import type { SwarmSnode } from "../rpc/get-swarm.ts";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lower-case hex digits");
const port = z.number().int().min(0).max(65535);
/** u64 as a decimal string (JSON numbers cannot carry 64 bits exactly). */
const u64Decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, "expected a decimal u64")
  .refine((s) => BigInt(s) < 1n << 64n, "value exceeds u64");

/**
 * A registered storage node, with field names as oxend's `get_service_nodes` uses them
 * (service_node_pubkey, pubkey_ed25519, pubkey_x25519, public_ip, storage_port, storage_lmq_port,
 * swarm_id). Differences: `swarm_id` is a decimal string so that it survives JSON exactly.
 */
export const nodeInfoSchema = z.object({
  /** Legacy service-node pubkey (hex); here equal to the Ed25519 key when there is no separate one. */
  service_node_pubkey: hex64.optional(),
  pubkey_ed25519: hex64,
  pubkey_x25519: hex64,
  public_ip: z.string().min(1),
  /** HTTPS port of the storage server. */
  storage_port: port,
  /** OxenMQ/QUIC port, when the node has one. */
  storage_lmq_port: port.optional(),
  swarm_id: u64Decimal,
  /** Whether the node is currently active (not decommissioned). */
  active: z.boolean().optional(),
});
export type NodeInfo = z.infer<typeof nodeInfoSchema>;

/** `get_service_nodes` result as Session clients read it. */
export const serviceNodeListSchema = z.object({
  service_node_states: z.array(nodeInfoSchema),
  height: z.number().int().nonnegative().optional(),
  hardfork: z.number().int().optional(),
});
export type ServiceNodeList = z.infer<typeof serviceNodeListSchema>;

/**
 * A registered node as `get_swarm` and 421 replies list it (request_handler.cpp `swarm_to_json`),
 * keys in the sorted order oxenss's JSON library writes: `address` is the z-base-32 of the legacy
 * (service node) pubkey + ".snode", and that pubkey is the Ed25519 key when the registry names no
 * separate one (as for every registration since the Ed25519 switch). `port_omq`/`port_quic` are
 * given only for a node that registered an OxenMQ/QUIC port: ours speak HTTPS only.
 */
export function toSwarmSnode(n: NodeInfo): SwarmSnode {
  const legacy = n.service_node_pubkey ?? n.pubkey_ed25519;
  const omq = n.storage_lmq_port;
  return {
    address: `${toBase32z(fromHex(legacy))}.snode`,
    ip: n.public_ip,
    port: String(n.storage_port),
    port_https: n.storage_port,
    ...(omq !== undefined ? { port_omq: omq, port_quic: omq } : {}),
    pubkey_ed25519: n.pubkey_ed25519,
    pubkey_legacy: legacy,
    pubkey_x25519: n.pubkey_x25519,
  };
}
