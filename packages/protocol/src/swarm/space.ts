import { fromHex } from "@session/crypto";
import { ProtocolError } from "../errors.ts";

const U64 = (1n << 64n) - 1n;

/** Swarm id the real server uses for "no swarm" (u64 max). Pubkeys still map onto it. */
export const INVALID_SWARM_ID = U64;

/**
 * Position of an account on the u64 swarm ring (oxenss/snode/swarm.cpp `pubkey_to_swarm_space`):
 * the XOR of the four 8-byte chunks of the 32-byte key (type byte excluded), read big-endian.
 */
export function swarmSpacePosition(pubkey32: Uint8Array): bigint {
  if (pubkey32.length !== 32) throw new ProtocolError("INVALID_PUBKEY", "swarm position needs a 32-byte key");
  const view = new DataView(pubkey32.buffer, pubkey32.byteOffset, 32);
  let res = 0n;
  for (let i = 0; i < 4; i++) res ^= view.getBigUint64(i * 8, false);
  return res;
}

/**
 * The swarm owning `position` (oxenss/snode/swarm.cpp `get_swarm_by_pk`): the nearest swarm id on
 * the u64 ring, with wrap-around. On an exact tie the left (lower, or with wrap-around the last)
 * swarm wins. A single swarm owns everything. Input order does not matter.
 */
export function closestSwarm(position: bigint, swarmIds: readonly bigint[]): bigint {
  if (swarmIds.length === 0) throw new ProtocolError("SERVICE_UNAVAILABLE", "no swarms known");
  if (swarmIds.length === 1) return swarmIds[0]!;
  const ids = isSorted(swarmIds) ? swarmIds : [...swarmIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // first id >= position (lower_bound); past the end wraps to the first.
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < position) lo = mid + 1;
    else hi = mid;
  }
  const rightIdx = lo === ids.length ? 0 : lo;
  const leftIdx = rightIdx === 0 ? ids.length - 1 : rightIdx - 1;
  const right = ids[rightIdx]!;
  const left = ids[leftIdx]!;
  const dRight = (right - position) & U64;
  const dLeft = (position - left) & U64;
  return dRight < dLeft ? right : left;
}

function isSorted(ids: readonly bigint[]): boolean {
  for (let i = 1; i < ids.length; i++) if (ids[i - 1]! > ids[i]!) return false;
  return true;
}

/** The 32-byte key of a 66-hex account id (type byte dropped) or a bare 64-hex key. */
export function swarmKeyBytes(sessionIdOrPubkeyHex: string): Uint8Array {
  if (/^[0-9a-fA-F]{66}$/.test(sessionIdOrPubkeyHex)) return fromHex(sessionIdOrPubkeyHex.slice(2));
  if (/^[0-9a-fA-F]{64}$/.test(sessionIdOrPubkeyHex)) return fromHex(sessionIdOrPubkeyHex);
  throw new ProtocolError("INVALID_PUBKEY", "expected a 66-hex-digit account id or 64-hex-digit key");
}

/** The swarm owning an account (Session ID, group id, or 64-hex key). */
export function swarmForPubkey(sessionIdOrPubkeyHex: string, swarmIds: readonly bigint[]): bigint {
  return closestSwarm(swarmSpacePosition(swarmKeyBytes(sessionIdOrPubkeyHex)), swarmIds);
}
