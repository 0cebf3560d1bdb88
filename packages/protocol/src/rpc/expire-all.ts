import { z } from "zod";
import { jsonParams, type NamespaceOrAll, parseWith, sigMessage, timestampField } from "./common.ts";
import {
  type DeletedOrUpdated,
  type NamespaceScopedParams,
  namespaceOrAllSignatureValue,
  namespaceScopedShape,
  scopedParams,
} from "./namespace-scoped.ts";
import type { SwarmResponse } from "./responses.ts";

/** `expire_all`: shorten (never extend) the expiry of every message in a namespace or all. */
export interface ExpireAllParams extends NamespaceScopedParams {
  expiry: number;
}

export const expireAllParamsSchema = jsonParams(
  z
    .object({ ...namespaceScopedShape, expiry: timestampField })
    .transform((v, ctx): ExpireAllParams => ({ ...scopedParams(v, ctx), expiry: v.expiry })),
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
