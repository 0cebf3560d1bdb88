import type { z } from "zod";
import { type DeletedOrUpdated, type NamespaceScopedParams, scopedTimeMethod } from "./namespace-scoped.ts";
import type { SwarmResponse } from "./responses.ts";

/** `delete_all`: delete every message of a namespace (or of all namespaces), swarm-wide. */
export interface DeleteAllParams extends NamespaceScopedParams {
  timestamp: number;
}

const method = scopedTimeMethod("delete_all", "timestamp");

export const deleteAllParamsSchema = method.schema;
export type DeleteAllParamsJson = z.input<typeof deleteAllParamsSchema>;
export const parseDeleteAllParams: (params: unknown) => DeleteAllParams = method.parse;

/** "delete_all" ‖ NAMESPACE ‖ TIMESTAMP, NAMESPACE "" for 0, "all", or decimal. */
export const deleteAllSignatureMessage = method.signatureMessage;

/** Node reply: PUBKEY_HEX ‖ TIMESTAMP ‖ DELETED… (ascii-sorted across all namespaces). */
export const deleteAllResponseSignatureMessage = method.responseSignatureMessage;

export interface DeleteAllSwarmEntry {
  /** Sorted hashes, or `{ namespace: sorted hashes }` when namespace was "all". */
  deleted: DeletedOrUpdated;
  signature: string;
}
export type DeleteAllResponse = SwarmResponse<DeleteAllSwarmEntry>;
