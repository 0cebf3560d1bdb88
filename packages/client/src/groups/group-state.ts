import { fromHex, toHex } from "@session/crypto";
import type { GroupConfig, GroupKeys } from "@session/protocol/groups";

// What an account keeps of a group between runs, and turning a Group into it and back (split
// out of group.ts, whose `state` and `loadState` call these).

/**
 * What an account keeps of a group between runs: its credentials (the subaccount value or the
 * admin seed), the keys it holds (so messages stay readable after the swarm's key messages
 * expire) and the last info and member configs (hex; verified again when loaded).
 */
export interface GroupState {
  id: string;
  /** 100-byte libsession subaccount value (members). */
  authData?: string;
  /** 32-byte group seed (admins). */
  adminSeed?: string;
  keys?: { generation: number; key: string; timestamp: number }[];
  info?: { message: string; needsPush: boolean };
  members?: { message: string; needsPush: boolean };
}

/** The parts of a Group its state is made of. */
export interface GroupStateParts {
  keys: GroupKeys;
  infoConfig: GroupConfig;
  membersConfig: GroupConfig;
}

/** The state to save of a group with these credentials and parts. */
export function saveGroupState(
  id: string,
  credentials: { authData: Uint8Array | undefined; groupSk: Uint8Array | undefined },
  g: GroupStateParts,
): GroupState {
  const info = g.infoConfig.dump();
  const members = g.membersConfig.dump();
  return {
    id,
    ...(credentials.authData ? { authData: toHex(credentials.authData) } : {}),
    ...(credentials.groupSk ? { adminSeed: toHex(credentials.groupSk.subarray(0, 32)) } : {}),
    keys: g.keys.export(),
    ...(info ? { info: { message: toHex(info.message), needsPush: info.needsPush } } : {}),
    ...(members ? { members: { message: toHex(members.message), needsPush: members.needsPush } } : {}),
  };
}

/** Loads the keys and configs of a saved state into a group's parts. */
export function loadGroupState(g: GroupStateParts, s: GroupState): void {
  if (s.keys) g.keys.import(s.keys);
  if (s.info) g.infoConfig.load({ message: fromHex(s.info.message), needsPush: s.info.needsPush });
  if (s.members)
    g.membersConfig.load({ message: fromHex(s.members.message), needsPush: s.members.needsPush });
}
