import { z } from "zod";
import type { UserPubkey } from "../pubkey.ts";
import {
  authShape,
  buildAuth,
  jsonParams,
  type NamespaceOrAll,
  parseWith,
  pubkeyField,
  type RequestAuth,
  sigMessage,
  timestampField,
} from "./common.ts";
import {
  type DeletedOrUpdated,
  namespaceOrAllSignatureValue,
  optionalNamespaceOrAll,
} from "./namespace-scoped.ts";
import type { SwarmResponse } from "./responses.ts";

/** `expire_all`: shorten (never extend) the expiry of every message in a namespace or all. */
export interface ExpireAllParams {
  pubkey: UserPubkey;
  namespace: NamespaceOrAll;
  expiry: number;
  auth: RequestAuth;
}

export const expireAllParamsSchema = jsonParams(
  z
    .object({
      pubkey: pubkeyField,
      namespace: optionalNamespaceOrAll,
      expiry: timestampField,
      ...authShape,
    })
    .transform(
      (v, ctx): ExpireAllParams => ({
        pubkey: v.pubkey,
        namespace: v.namespace ?? 0,
        expiry: v.expiry,
        auth: buildAuth(v, ctx),
      }),
    ),
);
export type ExpireAllParamsJson = z.input<typeof expireAllParamsSchema>;

export function parseExpireAllParams(params: unknown): ExpireAllParams {
  return parseWith(expireAllParamsSchema, params);
}

/** "expire_all" ‖ NAMESPACE ‖ EXPIRY. */
export function expireAllSignatureMessage(namespace: NamespaceOrAll, expiry: number): Uint8Array {
  return sigMessage("expire_all", namespaceOrAllSignatureValue(namespace), expiry);
}

/** Node reply: PUBKEY_HEX ‖ EXPIRY ‖ UPDATED… (ascii-sorted). */
export function expireAllResponseSignatureMessage(
  pubkeyHex: string,
  expiry: number,
  updatedSorted: readonly string[],
): Uint8Array {
  return sigMessage(pubkeyHex, expiry, updatedSorted);
}

export interface ExpireAllSwarmEntry {
  updated: DeletedOrUpdated;
  signature: string;
}
export type ExpireAllResponse = SwarmResponse<ExpireAllSwarmEntry>;
