import { fromBase64, fromHex } from "@session/crypto";
import { ProtocolError, parseUserPubkey } from "@session/protocol";
import {
  MONITOR_SIG_MAX_AGE_MS,
  MONITOR_SIG_MAX_FUTURE_MS,
  MonitorErrorCode,
  type MonitorSubscribeResult,
  type MonitorSubscription,
  monitorSignatureMessage,
  monitorSubscriptionSchema,
} from "@session/protocol/monitor";
import {
  type AuthRequirement,
  type SignatureVerifier,
  SubaccountAccess,
  verifyAuth,
} from "@session/protocol/rpc";

/** A subscription that passed every check: who, which namespaces, whether data is wanted. */
export interface VerifiedSubscription {
  /** 66 lower-case hex. */
  pubkey: string;
  namespaces: number[];
  wantData: boolean;
}

export type SubscriptionCheck =
  | { ok: true; sub: VerifiedSubscription }
  | { ok: false; result: Extract<MonitorSubscribeResult, { errcode: number }> };

const fail = (errcode: MonitorErrorCode, error: string): SubscriptionCheck => ({
  ok: false,
  result: { errcode, error },
});

function bytesOf(s: string, n: number): Uint8Array {
  return s.length === n * 2 && /^[0-9a-fA-F]+$/.test(s) ? fromHex(s) : fromBase64(s);
}

/** Which monitor error code a schema failure maps to, by the field it names. */
function errcodeForField(field: unknown): MonitorErrorCode {
  switch (field) {
    case "pubkey":
    case "session_ed25519":
    case "subaccount":
    case "subaccount_sig":
      return MonitorErrorCode.BAD_PUBKEY;
    case "namespaces":
      return MonitorErrorCode.BAD_NS;
    case "signature":
      return MonitorErrorCode.BAD_SIG;
    default:
      return MonitorErrorCode.BAD_ARGS;
  }
}

/**
 * Checks one subscription exactly as oxenss handle_monitor_message_single does: shape,
 * ascending namespaces, timestamp within [now − 14 days, now + 24 h], Session ID ↔ Ed25519
 * key, subaccount token (read permission) and the signature over monitorSignatureMessage.
 */
export function checkSubscription(
  input: unknown,
  nowMs: number,
  verifier: SignatureVerifier,
): SubscriptionCheck {
  const parsed = monitorSubscriptionSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    return fail(errcodeForField(field), `Invalid arguments: ${String(field ?? "")}: ${issue?.message ?? ""}`);
  }
  const s: MonitorSubscription = parsed.data;
  for (let i = 1; i < s.namespaces.length; i++) {
    if (s.namespaces[i]! <= s.namespaces[i - 1]!) {
      return fail(MonitorErrorCode.BAD_NS, "Invalid namespaces: namespaces must be ascending");
    }
  }
  const tsMs = s.sig_ts * 1000;
  if (tsMs < nowMs - MONITOR_SIG_MAX_AGE_MS || tsMs > nowMs + MONITOR_SIG_MAX_FUTURE_MS) {
    const tooOld = tsMs < nowMs - MONITOR_SIG_MAX_AGE_MS;
    return fail(
      MonitorErrorCode.BAD_TS,
      `Invalid sig_ts signature timestamp: timestamp is ${tooOld ? "too old" : "in the future"}`,
    );
  }
  const pubkey = parseUserPubkey(s.pubkey.toLowerCase());
  if (pubkey.type === 0x05 && s.session_ed25519 === undefined) {
    return fail(MonitorErrorCode.BAD_PUBKEY, "session_ed25519 is required for 05 Session IDs");
  }
  if (pubkey.type !== 0x05 && s.session_ed25519 !== undefined) {
    return fail(MonitorErrorCode.BAD_PUBKEY, "session_ed25519 is only allowed for 05 Session IDs");
  }
  if ((s.subaccount === undefined) !== (s.subaccount_sig === undefined)) {
    return fail(MonitorErrorCode.BAD_PUBKEY, "subaccount and subaccount_sig must be given together");
  }
  const requirement: AuthRequirement = {
    pubkey,
    auth: {
      signature: bytesOf(s.signature, 64),
      ...(s.session_ed25519 !== undefined ? { pubkeyEd25519: fromHex(s.session_ed25519) } : {}),
      ...(s.subaccount !== undefined && s.subaccount_sig !== undefined
        ? { subaccount: { token: bytesOf(s.subaccount, 36), signature: bytesOf(s.subaccount_sig, 64) } }
        : {}),
    },
    message: monitorSignatureMessage(pubkey.hex, s.sig_ts, s.data, s.namespaces),
    requiredAccess: SubaccountAccess.Read,
    skipRevokeCheck: true,
  };
  try {
    verifyAuth(verifier, requirement);
  } catch (err) {
    const msg = err instanceof ProtocolError ? err.message : "Signature verification failed";
    return fail(MonitorErrorCode.BAD_SIG, msg);
  }
  return { ok: true, sub: { pubkey: pubkey.hex, namespaces: s.namespaces, wantData: s.data } };
}
