// The authentication every signed storage request carries (signature, `pubkey_ed25519`,
// subaccount token and its signature): the JSON fields, and the checks oxenss's
// load_pk_signature / load_subaccount make before they count as a RequestAuth.
import { z } from "zod";
import type { UserPubkey } from "../pubkey.ts";
import { ed25519PubkeyField, signatureField, subaccountTokenField } from "./common.ts";

/** The authentication a signed request carries, parsed. */
export interface RequestAuth {
  /** 64-byte Ed25519 signature over the method's signature message. */
  signature: Uint8Array;
  /** For 05 Session IDs: the Ed25519 key that signed (it must convert to the X25519 pubkey). */
  pubkeyEd25519?: Uint8Array;
  /** A subaccount token and the account owner's signature of it. */
  subaccount?: { token: Uint8Array; signature: Uint8Array };
}

/** The JSON auth fields accepted by every signed method. */
export const authShape = {
  signature: signatureField,
  pubkey_ed25519: ed25519PubkeyField.optional(),
  subaccount: z.string().optional(),
  subaccount_sig: signatureField.optional(),
};

/** The JSON auth fields (and `pubkey`) as the schema parsed them. */
export type AuthJson = {
  pubkey: UserPubkey;
  signature: Uint8Array;
  pubkey_ed25519?: Uint8Array | undefined;
  subaccount?: string | undefined;
  subaccount_sig?: Uint8Array | undefined;
};

/** The signature plus `pubkey_ed25519`, which only 05 (Session ID) accounts may give. */
export function accountAuth(
  v: Pick<AuthJson, "pubkey" | "signature" | "pubkey_ed25519">,
  ctx: z.RefinementCtx,
): Pick<RequestAuth, "signature" | "pubkeyEd25519"> {
  const auth: Pick<RequestAuth, "signature" | "pubkeyEd25519"> = { signature: v.signature };
  if (v.pubkey_ed25519) {
    if (v.pubkey.type !== 5) {
      ctx.addIssue({
        code: "custom",
        path: ["pubkey_ed25519"],
        message: "pubkey_ed25519 is only permitted for 05[...] pubkeys",
      });
    }
    auth.pubkeyEd25519 = v.pubkey_ed25519;
  }
  return auth;
}

/** Validates and assembles RequestAuth from parsed JSON fields (rules of load_pk_signature/load_subaccount). */
export function buildAuth(v: AuthJson, ctx: z.RefinementCtx): RequestAuth {
  const auth: RequestAuth = accountAuth(v, ctx);
  if (v.subaccount !== undefined && v.subaccount !== "") {
    const token = subaccountTokenField.safeParse(v.subaccount);
    if (!token.success) {
      ctx.addIssue({
        code: "custom",
        path: ["subaccount"],
        message: "invalid subaccount: expected base64 or hex-encoded subaccount token",
      });
    } else if (!v.subaccount_sig) {
      ctx.addIssue({
        code: "custom",
        path: ["subaccount_sig"],
        message: "invalid subaccount: subaccount_sig is required when using subaccount",
      });
    } else {
      auth.subaccount = { token: token.data, signature: v.subaccount_sig };
    }
  }
  return auth;
}

/** What every request the account signs carries, parsed: the account and its proof. */
export interface SignedParams {
  pubkey: UserPubkey;
  auth: RequestAuth;
}

/** SignedParams from the parsed JSON fields (buildAuth's checks included). */
export function signedParams(v: AuthJson, ctx: z.RefinementCtx): SignedParams {
  return { pubkey: v.pubkey, auth: buildAuth(v, ctx) };
}
