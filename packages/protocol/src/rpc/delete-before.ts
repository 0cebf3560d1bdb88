import type { z } from "zod";
import { type DeletedOrUpdated, type NamespaceScopedParams, scopedTimeMethod } from "./namespace-scoped.ts";
import type { SwarmResponse } from "./responses.ts";

/** `delete_before`: delete messages with timestamp <= `before`, swarm-wide. */
export interface DeleteBeforeParams extends NamespaceScopedParams {
  before: number;
}

const method = scopedTimeMethod("delete_before", "before");

export const deleteBeforeParamsSchema = method.schema;
export type DeleteBeforeParamsJson = z.input<typeof deleteBeforeParamsSchema>;
export const parseDeleteBeforeParams: (params: unknown) => DeleteBeforeParams = method.parse;

/** "delete_before" ‖ NAMESPACE ‖ BEFORE. */
export const deleteBeforeSignatureMessage = method.signatureMessage;

/** Node reply: PUBKEY_HEX ‖ BEFORE ‖ DELETED… (ascii-sorted). */
export const deleteBeforeResponseSignatureMessage = method.responseSignatureMessage;

export interface DeleteBeforeSwarmEntry {
  deleted: DeletedOrUpdated;
  signature: string;
}
export type DeleteBeforeResponse = SwarmResponse<DeleteBeforeSwarmEntry>;
