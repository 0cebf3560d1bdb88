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

/** `delete_before`: delete messages with timestamp <= `before`, swarm-wide. */
export interface DeleteBeforeParams extends NamespaceScopedParams {
  before: number;
}

export const deleteBeforeParamsSchema = jsonParams(
  z
    .object({ ...namespaceScopedShape, before: timestampField })
    .transform((v, ctx): DeleteBeforeParams => ({ ...scopedParams(v, ctx), before: v.before })),
);
export type DeleteBeforeParamsJson = z.input<typeof deleteBeforeParamsSchema>;

export function parseDeleteBeforeParams(params: unknown): DeleteBeforeParams {
  return parseWith(deleteBeforeParamsSchema, params);
}

/** "delete_before" ‖ NAMESPACE ‖ BEFORE. */
export function deleteBeforeSignatureMessage(namespace: NamespaceOrAll, before: number): Uint8Array {
  return sigMessage("delete_before", namespaceOrAllSignatureValue(namespace), before);
}

/** Node reply: PUBKEY_HEX ‖ BEFORE ‖ DELETED… (ascii-sorted). */
export function deleteBeforeResponseSignatureMessage(
  pubkeyHex: string,
  before: number,
  deletedSorted: readonly string[],
): Uint8Array {
  return sigMessage(pubkeyHex, before, deletedSorted);
}

export interface DeleteBeforeSwarmEntry {
  deleted: DeletedOrUpdated;
  signature: string;
}
export type DeleteBeforeResponse = SwarmResponse<DeleteBeforeSwarmEntry>;
