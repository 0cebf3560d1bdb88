import type { NodeInfo } from "@session/protocol";

/**
 * The members an account should be watched on: `count` of its swarm's `members`, starting at a
 * position taken from the account id (spreading accounts over all members), skipping nodes that
 * failed recently (`avoided`) unless there are not enough others.
 */
export function chooseMembers(
  pubkey: string,
  members: readonly NodeInfo[],
  count: number,
  avoided: (n: NodeInfo) => boolean,
): NodeInfo[] {
  if (members.length === 0) return [];
  const start = Number.parseInt(pubkey.slice(2, 10), 16) % members.length;
  const ring = [...members.slice(start), ...members.slice(0, start)];
  const n = Math.min(count, ring.length);
  const good = ring.filter((m) => !avoided(m));
  const bad = ring.filter((m) => avoided(m));
  return [...good, ...bad].slice(0, n);
}
