import { z } from "zod";
import { ProtocolError } from "../errors.ts";
import type { UserPubkey } from "../pubkey.ts";
import { pubkeyField, subaccountTokenField, timestampField } from "./common.ts";
import { MAX_SUBACCOUNT_TOKENS } from "./limits.ts";
import { jsonParams } from "./method-params.ts";
import { parseWith } from "./parse-params.ts";
import { accountAuth, authShape, type RequestAuth } from "./request-auth.ts";
import type { SwarmResponse } from "./responses.ts";
import { sigMessage } from "./sig-message.ts";

/** `revoke_subaccount` / `unrevoke_subaccount` params (same shape; only the list key differs). */
export interface SubaccountRevocationParams {
  pubkey: UserPubkey;
  /** 36-byte subaccount tokens. */
  tokens: Uint8Array[];
  timestamp: number;
  /** Only the account key may sign these (no subaccount auth). */
  auth: Pick<RequestAuth, "signature" | "pubkeyEd25519">;
}

const tokenList = z.union([subaccountTokenField.transform((t) => [t]), z.array(subaccountTokenField)]);

const baseShape = {
  pubkey: pubkeyField,
  timestamp: timestampField,
  signature: authShape.signature,
  pubkey_ed25519: authShape.pubkey_ed25519,
};

type BaseParsed = {
  pubkey: UserPubkey;
  timestamp: number;
  signature: Uint8Array;
  pubkey_ed25519?: Uint8Array | undefined;
};

function finish(v: BaseParsed, tokens: Uint8Array[], ctx: z.RefinementCtx): SubaccountRevocationParams {
  return { pubkey: v.pubkey, tokens, timestamp: v.timestamp, auth: accountAuth(v, ctx) };
}

export const revokeSubaccountParamsSchema = jsonParams(
  z
    .object({
      ...baseShape,
      revoke: tokenList.refine((a) => a.length <= MAX_SUBACCOUNT_TOKENS, {
        message: `invalid revoke: cannot revoke more than ${MAX_SUBACCOUNT_TOKENS} subaccounts at once`,
      }),
    })
    .transform((v, ctx) => finish(v, v.revoke, ctx)),
);
export const unrevokeSubaccountParamsSchema = jsonParams(
  z.object({ ...baseShape, unrevoke: tokenList }).transform((v, ctx) => finish(v, v.unrevoke, ctx)),
);

export function parseRevokeSubaccountParams(params: unknown): SubaccountRevocationParams {
  return parseWith(revokeSubaccountParamsSchema, params);
}
export function parseUnrevokeSubaccountParams(params: unknown): SubaccountRevocationParams {
  return parseWith(unrevokeSubaccountParamsSchema, params);
}

/** "revoke_subaccount" ‖ TIMESTAMP ‖ TOKEN_BYTES… */
export function revokeSubaccountSignatureMessage(
  timestamp: number,
  tokens: readonly Uint8Array[],
): Uint8Array {
  return sigMessage("revoke_subaccount", timestamp, tokens);
}
/** "unrevoke_subaccount" ‖ TIMESTAMP ‖ TOKEN_BYTES… */
export function unrevokeSubaccountSignatureMessage(
  timestamp: number,
  tokens: readonly Uint8Array[],
): Uint8Array {
  return sigMessage("unrevoke_subaccount", timestamp, tokens);
}
/** Node reply (both methods): PUBKEY_HEX ‖ TIMESTAMP ‖ TOKEN_BYTES… */
export function subaccountRevocationResponseSignatureMessage(
  pubkeyHex: string,
  timestamp: number,
  tokens: readonly Uint8Array[],
): Uint8Array {
  return sigMessage(pubkeyHex, timestamp, tokens);
}

export interface SubaccountRevocationSwarmEntry {
  count?: number;
  signature?: string;
}
export type SubaccountRevocationResponse = SwarmResponse<SubaccountRevocationSwarmEntry>;

/** Subaccount permission bits (byte 1 of a token). */
export const SubaccountAccess = { Read: 1, Write: 2, Delete: 4, AnyPrefix: 8 } as const;

export interface SubaccountToken {
  /** Network prefix the token is for (e.g. 3 for groups). */
  prefix: number;
  flags: number;
  /** The subaccount's Ed25519 pubkey, which signs requests. */
  pubkey: Uint8Array;
}

/** Splits a 36-byte token: prefix(1) ‖ flags(1) ‖ reserved(2) ‖ Ed25519 pubkey(32). */
export function decodeSubaccountToken(token: Uint8Array): SubaccountToken {
  if (token.length !== 36) throw new ProtocolError("BAD_REQUEST", "subaccount token must be 36 bytes");
  return { prefix: token[0]!, flags: token[1]!, pubkey: token.slice(4) };
}

/** True if the token's network prefix matches (or it has AnyPrefix) and it has every required bit. */
export function subaccountAllows(token: SubaccountToken, netPrefix: number, required: number): boolean {
  const prefixOk = token.prefix === netPrefix || (token.flags & SubaccountAccess.AnyPrefix) !== 0;
  return prefixOk && (token.flags & required) === required;
}
