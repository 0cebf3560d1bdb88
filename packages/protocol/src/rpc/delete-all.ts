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

/** `delete_all`: delete every message of a namespace (or of all namespaces), swarm-wide. */
export interface DeleteAllParams extends NamespaceScopedParams {
  timestamp: number;
}

export const deleteAllParamsSchema = jsonParams(
  z
    .object({ ...namespaceScopedShape, timestamp: timestampField })
    .transform((v, ctx): DeleteAllParams => ({ ...scopedParams(v, ctx), timestamp: v.timestamp })),
);
export type DeleteAllParamsJson = z.input<typeof deleteAllParamsSchema>;

export function parseDeleteAllParams(params: unknown): DeleteAllParams {
  return parseWith(deleteAllParamsSchema, params);
}

/** "delete_all" ‖ NAMESPACE ‖ TIMESTAMP, NAMESPACE "" for 0, "all", or decimal. */
export function deleteAllSignatureMessage(namespace: NamespaceOrAll, timestamp: number): Uint8Array {
  return sigMessage("delete_all", namespaceOrAllSignatureValue(namespace), timestamp);
}

/** Node reply: PUBKEY_HEX ‖ TIMESTAMP ‖ DELETED… (ascii-sorted across all namespaces). */
export function deleteAllResponseSignatureMessage(
  pubkeyHex: string,
  timestamp: number,
  deletedSorted: readonly string[],
): Uint8Array {
  return sigMessage(pubkeyHex, timestamp, deletedSorted);
}

export interface DeleteAllSwarmEntry {
  /** Sorted hashes, or `{ namespace: sorted hashes }` when namespace was "all". */
  deleted: DeletedOrUpdated;
  signature: string;
}
export type DeleteAllResponse = SwarmResponse<DeleteAllSwarmEntry>;
