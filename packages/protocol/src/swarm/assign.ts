import { ProtocolError } from "../errors.ts";

/** Defaults for assignSwarms. */
export const DEFAULT_MIN_SWARM_SIZE = 5;
export const DEFAULT_TARGET_SWARM_SIZE = 7;

export interface AssignSwarmsOptions {
  /** No swarm is smaller than this unless there are fewer nodes than this in total. */
  minSwarmSize?: number;
  /** Preferred swarm size. */
  targetSwarmSize?: number;
}

const RING = 1n << 64n;

/** Anything with an Ed25519 key: our own `{ ed25519Pubkey }` or a registry NodeInfo (`pubkey_ed25519`). */
export type SwarmMember = { ed25519Pubkey: string } | { pubkey_ed25519: string };

/** Number of swarms for `n` nodes: round(n / target), but no swarm below `min` nodes, at least 1. */
export function swarmCountFor(n: number, opts: AssignSwarmsOptions = {}): number {
  const min = opts.minSwarmSize ?? DEFAULT_MIN_SWARM_SIZE;
  const target = opts.targetSwarmSize ?? DEFAULT_TARGET_SWARM_SIZE;
  if (!(Number.isInteger(min) && min >= 1 && Number.isInteger(target) && target >= min)) {
    throw new ProtocolError("BAD_REQUEST", "need integers 1 <= minSwarmSize <= targetSwarmSize");
  }
  return Math.max(1, Math.min(Math.round(n / target), Math.floor(n / min)));
}

/** Swarm id i of `count`: evenly spaced on the u64 ring, i * floor(2^64 / count). Never u64 max. */
export function swarmIdAt(i: number, count: number): bigint {
  return BigInt(i) * (RING / BigInt(count));
}

/**
 * Deterministically groups registered nodes into swarms. The rule (ours — the real network does
 * this in oxend from chain state):
 *  1. drop duplicate keys; sort nodes by lower-case Ed25519 key hex (`ed25519Pubkey` or `pubkey_ed25519`);
 *  2. count = swarmCountFor(n) = max(1, min(round(n / target), floor(n / min)));
 *  3. swarm ids are evenly spaced: id_i = i * floor(2^64 / count);
 *  4. the sorted list is cut into `count` contiguous runs whose sizes differ by at most one
 *     (the first n mod count runs get the extra node); run i forms swarm id_i.
 * Every node running this over the same registry gets the same map. While the swarm count is
 * unchanged, one node joining or leaving shifts each run boundary by at most one position, so
 * each swarm gains or loses at most one member.
 */
export function assignSwarms<T extends SwarmMember>(
  nodes: readonly T[],
  opts: AssignSwarmsOptions = {},
): Map<bigint, T[]> {
  const seen = new Map<string, T>();
  for (const n of nodes) {
    const raw = "ed25519Pubkey" in n ? n.ed25519Pubkey : n.pubkey_ed25519;
    const k = typeof raw === "string" ? raw.toLowerCase() : "";
    if (!/^[0-9a-f]{64}$/.test(k)) throw new ProtocolError("INVALID_PUBKEY", `bad node key ${String(raw)}`);
    if (!seen.has(k)) seen.set(k, n);
  }
  const sorted = [...seen.keys()].sort().map((k) => seen.get(k)!);
  const out = new Map<bigint, T[]>();
  if (sorted.length === 0) return out;
  const count = swarmCountFor(sorted.length, opts);
  const base = Math.floor(sorted.length / count);
  const extra = sorted.length % count;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const size = base + (i < extra ? 1 : 0);
    out.set(swarmIdAt(i, count), sorted.slice(at, at + size));
    at += size;
  }
  return out;
}
