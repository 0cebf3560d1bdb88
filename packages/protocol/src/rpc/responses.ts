/** Response shapes shared by several storage RPC methods (request_handler.cpp). */

/** [major, minor] hardfork version, added by the node to most responses as `hf`. */
export type HardforkVersion = [number, number];

/** Fields the entry node adds to client responses: `t` = node time (ms), `hf` = hardfork. */
export interface MiscResponseFields {
  t: number;
  hf: HardforkVersion;
}

/** A swarm member's entry when its part of a swarm-wide request failed (`recursive` in oxenss). */
export interface SwarmFailure {
  failed: true;
  timeout?: boolean;
  code?: number;
  reason?: string;
  bad_peer_response?: boolean;
  query_failure?: boolean;
}

/** Swarm-wide responses: one entry per swarm member, keyed by its Ed25519 pubkey hex. */
export interface SwarmResponse<Entry> extends MiscResponseFields {
  swarm: Record<string, Entry | SwarmFailure>;
}

export function isSwarmFailure(entry: object): entry is SwarmFailure {
  return "failed" in entry && (entry as SwarmFailure).failed === true;
}
