import { z } from "zod";
import type { UserPubkey } from "../pubkey.ts";
import { pubkeyField } from "./common.ts";
import { jsonParams } from "./method-params.ts";
import { parseWith } from "./parse-params.ts";
import type { MiscResponseFields } from "./responses.ts";

/** `get_swarm` (alias `get_snodes_for_pubkey`): the swarm serving an account. */
export interface GetSwarmParams {
  pubkey: UserPubkey;
}

// get_swarm words a bad pubkey its own way (client_rpc_endpoints.cpp load(get_swarm&)).
const GET_SWARM_PUBKEY = "Pubkey must be 66 hex digits/33 bytes long";
export const getSwarmParamsSchema = jsonParams(
  z.object({
    pubkey: z
      .string()
      .regex(/^[0-9a-fA-F]{66}$/, GET_SWARM_PUBKEY)
      .pipe(pubkeyField),
  }),
  { pubKey: "pubkey" },
);
export type GetSwarmParamsJson = z.input<typeof getSwarmParamsSchema>;

export function parseGetSwarmParams(params: unknown): GetSwarmParams {
  return parseWith(getSwarmParamsSchema, params);
}

/** One swarm member as `get_swarm` (and the 421 wrong-swarm reply) lists it (request_handler.cpp `swarm_to_json`). */
export const swarmSnodeSchema = z.object({
  /** Deprecated: base32z of the legacy pubkey + ".snode". */
  address: z.string().optional(),
  pubkey_legacy: z.string().optional(),
  pubkey_x25519: z.string().regex(/^[0-9a-f]{64}$/),
  pubkey_ed25519: z.string().regex(/^[0-9a-f]{64}$/),
  /** Deprecated string form of port_https. */
  port: z.string().optional(),
  port_https: z.number().int().min(0).max(65535),
  port_omq: z.number().int().min(0).max(65535).optional(),
  port_quic: z.number().int().min(0).max(65535).optional(),
  ip: z.string(),
});
export type SwarmSnode = z.infer<typeof swarmSnodeSchema>;

export type GetSwarmResponse = { snodes: SwarmSnode[]; swarm: string } & Partial<MiscResponseFields>;

/** The swarm id in `get_swarm` replies is hex (util::int_to_string(id, 16)). */
export function swarmIdToHex(id: bigint): string {
  return id.toString(16);
}
export function swarmIdFromHex(hex: string): bigint {
  return BigInt(`0x${hex}`);
}

/**
 * Body of a `get_swarm` answer and of a 421 wrong-swarm answer (before `t`/`hf` are added):
 * the members and the swarm id in hex; an unknown swarm is "ffffffffffffffff" with no members.
 */
export function swarmInfoBody(
  members: readonly SwarmSnode[],
  swarmId: bigint | undefined,
): { snodes: SwarmSnode[]; swarm: string } {
  if (swarmId === undefined) return { snodes: [], swarm: swarmIdToHex((1n << 64n) - 1n) };
  return { snodes: [...members], swarm: swarmIdToHex(swarmId) };
}
