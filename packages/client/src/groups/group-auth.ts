import { fromHex, groupSubaccountSign, groupSubaccountToken, sign, toBase64 } from "@session/crypto";
import { type ParamsSigner, signRpcParams } from "@session/protocol";
import { ClientError } from "../errors.ts";

// Who may ask a group swarm for what: admins sign with the group key, members with the
// subaccount an admin gave them, and admins revoke subaccounts (split out of group.ts).

/**
 * The signer of requests to a group swarm: the group key (`groupSk`, admins) or the subaccount
 * value (`authData`, members) signed with the account's key `userSk`. NOT_GROUP_MEMBER without
 * either.
 */
export function groupSigner(
  credentials: { groupSk: Uint8Array | undefined; authData: Uint8Array | undefined },
  userSk: Uint8Array,
): ParamsSigner {
  const gsk = credentials.groupSk;
  if (gsk) return { sign: (m) => sign(m, gsk) };
  const auth = credentials.authData;
  if (!auth) throw new ClientError("NOT_GROUP_MEMBER", "no credentials for this group");
  const probe = groupSubaccountSign(userSk, auth, new Uint8Array(0));
  return {
    sign: (m) => groupSubaccountSign(userSk, auth, m).signature,
    subaccount: { token: probe.token, signature: probe.tokenSignature },
  };
}

/** `revoke_subaccount` params revoking the write subaccounts of `sessionIds`, signed by the group key. */
export function revokeParams(
  groupId: string,
  groupSk: Uint8Array,
  sessionIds: readonly string[],
  timestamp: number,
): Record<string, unknown> {
  const tokens = sessionIds.map((id) => groupSubaccountToken(groupSk, fromHex(id.slice(2)), { write: true }));
  return signRpcParams(
    "revoke_subaccount",
    { pubkey: groupId, revoke: tokens.map(toBase64), timestamp },
    { sign: (m) => sign(m, groupSk) },
  );
}
