import { toHex } from "@session/crypto";
import type { ParamsSigner } from "@session/protocol";
import { GroupNamespace } from "@session/protocol/groups";
import type { PushRegistration } from "../push.ts";

// Push notifications for a group's messages: the push server's `/subscribe` body for a group
// (split out of group.ts, whose `pushSubscription` calls this).

/** A device registration for a group; `namespaces` defaults to the messages' (11). */
export type GroupPushRegistration = Omit<PushRegistration, "namespaces"> & { namespaces?: number[] };

/**
 * A push server `/subscribe` body for group `groupId`, signed "MONITOR" ‖ group ID ‖ sig_ts ‖
 * data flag ‖ namespaces by `signer` (the group key for admins, the subaccount for members).
 */
export function groupPushSubscription(
  groupId: string,
  reg: GroupPushRegistration,
  now: () => number,
  signerOf: () => ParamsSigner,
): Record<string, unknown> {
  const namespaces = [...(reg.namespaces ?? [GroupNamespace.Messages])].sort((a, b) => a - b);
  const sigTs = Math.floor(now() / 1000);
  const signer = signerOf();
  const msg = `MONITOR${groupId}${sigTs}${reg.data ? "1" : "0"}${namespaces.join(",")}`;
  return {
    pubkey: groupId,
    ...(signer.subaccount
      ? { subaccount: toHex(signer.subaccount.token), subaccount_sig: toHex(signer.subaccount.signature) }
      : {}),
    namespaces,
    data: reg.data ?? false,
    sig_ts: sigTs,
    signature: toHex(signer.sign(new TextEncoder().encode(msg))),
    service: reg.service,
    service_info: { token: reg.token },
    enc_key: toHex(reg.encKey),
  };
}
