import type { z } from "zod";
import { type DeletedOrUpdated, type NamespaceScopedParams, scopedTimeMethod } from "./namespace-scoped.ts";
import type { SwarmResponse } from "./responses.ts";

/** `expire_all`: shorten (never extend) the expiry of every message in a namespace or all. */
export interface ExpireAllParams extends NamespaceScopedParams {
  expiry: number;
}

const method = scopedTimeMethod("expire_all", "expiry");

export const expireAllParamsSchema = method.schema;
export type ExpireAllParamsJson = z.input<typeof expireAllParamsSchema>;
export const parseExpireAllParams: (params: unknown) => ExpireAllParams = method.parse;

/** "expire_all" ‖ NAMESPACE ‖ EXPIRY. */
export const expireAllSignatureMessage = method.signatureMessage;

/** Node reply: PUBKEY_HEX ‖ EXPIRY ‖ UPDATED… (ascii-sorted). */
export const expireAllResponseSignatureMessage = method.responseSignatureMessage;

export interface ExpireAllSwarmEntry {
  updated: DeletedOrUpdated;
  signature: string;
}
export type ExpireAllResponse = SwarmResponse<ExpireAllSwarmEntry>;
