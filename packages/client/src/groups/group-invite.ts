import { fromHex, makeGroupSubaccount, sign } from "@session/crypto";
import type { GroupUpdateMessage } from "@session/protocol";
import { GROUP_MAX_MEMBERS } from "@session/protocol/groups";
import { ClientError } from "../errors.ts";

// Group invitations as they travel in 1:1 chats: what an admin signs and what the invitee gets
// (split out of group.ts, whose `addMembers` builds them; groups.ts checks them on arrival).

/**
 * The Session IDs to invite (lowercased, once each): BAD_RECIPIENT unless all are 05 IDs,
 * GROUP_FULL when the new ones would take the group past GROUP_MAX_MEMBERS active members.
 */
export function invitees(sessionIds: readonly string[], activeMembers: () => string[]): string[] {
  const ids = [...new Set(sessionIds.map((s) => s.toLowerCase()))];
  for (const sid of ids)
    if (!/^05[0-9a-f]{64}$/.test(sid))
      throw new ClientError("BAD_RECIPIENT", "members must be 05 Session IDs");
  const current = new Set(activeMembers());
  const added = ids.filter((s) => !current.has(s));
  if (current.size + added.length > GROUP_MAX_MEMBERS)
    throw new ClientError(
      "GROUP_FULL",
      `a group has at most ${GROUP_MAX_MEMBERS} members (it has ${current.size}, ${added.length} more invited)`,
    );
  return ids;
}

/** What an invitation's admin signature covers: "INVITE" ‖ invitee Session ID ‖ timestamp. */
export function inviteSignatureMessage(invitee: string, timestamp: number): Uint8Array {
  return new TextEncoder().encode(`INVITE${invitee}${timestamp}`);
}

/**
 * The invitation of `invitee` (a 05 Session ID) to group `groupId`, whose secret key is `groupSk`:
 * a write subaccount for the invitee, signed for `timestamp` (the 1:1 message's).
 */
export function groupInvitation(
  groupSk: Uint8Array,
  groupId: string,
  name: string,
  invitee: string,
  timestamp: number,
): GroupUpdateMessage {
  return {
    inviteMessage: {
      groupSessionId: groupId,
      name,
      memberAuthData: makeGroupSubaccount(groupSk, fromHex(invitee.slice(2)), { write: true }),
      // session-desktop: the group key signs "INVITE" ‖ invitee ‖ timestamp.
      adminSignature: sign(inviteSignatureMessage(invitee, timestamp), groupSk),
    },
  };
}
