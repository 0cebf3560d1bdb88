import { toBase64 } from "@session/crypto";
import { authRequirementFor } from "./auth.ts";
import { parseSubrequest, type RpcSubrequestMethod } from "./subrequest.ts";

/** What a client needs to sign storage requests. */
export interface ParamsSigner {
  /** Ed25519 detached signature by the account key (or the subaccount key when `subaccount` is set). */
  sign(message: Uint8Array): Uint8Array;
  /** For 05 Session IDs: the Ed25519 pubkey (hex) that signs, sent as `pubkey_ed25519`. */
  ed25519PubkeyHex?: string;
  /** Subaccount token and the account owner's signature of it. */
  subaccount?: { token: Uint8Array; signature: Uint8Array };
}

const PLACEHOLDER_SIGNATURE = toBase64(new Uint8Array(64));

/**
 * Adds `signature` (and `pubkey_ed25519` / `subaccount` / `subaccount_sig`) to the JSON params
 * of a method. The bytes signed are computed by parsing the params exactly as a node will and
 * taking `authRequirementFor(...).message`, so client and node cannot disagree. Params that need
 * no signature (e.g. store to a public inbox) are returned unchanged. Invalid params throw the
 * same ProtocolError the node would answer with.
 */
export function signRpcParams(
  method: RpcSubrequestMethod,
  params: Readonly<Record<string, unknown>>,
  signer: ParamsSigner,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params };
  if (signer.ed25519PubkeyHex) out.pubkey_ed25519 = signer.ed25519PubkeyHex;
  if (signer.subaccount) {
    out.subaccount = toBase64(signer.subaccount.token);
    out.subaccount_sig = toBase64(signer.subaccount.signature);
  }
  out.signature = PLACEHOLDER_SIGNATURE;
  const requirement = authRequirementFor(parseSubrequest(method, out));
  if (!requirement) return { ...params };
  out.signature = toBase64(signer.sign(requirement.message));
  return out;
}
