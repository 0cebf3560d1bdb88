import { z } from "zod";
import { messageHashListField } from "./common.ts";
import { signedMethod } from "./method-params.ts";
import type { SignedParams } from "./request-auth.ts";
import type { SwarmResponse } from "./responses.ts";
import { sigMessage } from "./sig-message.ts";

/** `delete`: delete specific messages by hash, swarm-wide. */
export interface DeleteParams extends SignedParams {
  messages: string[];
  /** If true, answer 404 unless some swarm member deleted at least one message. */
  required: boolean;
}

const params = signedMethod({ messages: messageHashListField, required: z.boolean().optional() }, (v) => ({
  messages: v.messages,
  required: v.required ?? false,
}));

export const deleteParamsSchema = params.schema;
export type DeleteParamsJson = z.input<typeof deleteParamsSchema>;
export const parseDeleteParams: (params: unknown) => DeleteParams = params.parse;

/** "delete" ‖ messages[0] ‖ … ‖ messages[N] (in request order). No timestamp. */
export function deleteSignatureMessage(messages: readonly string[]): Uint8Array {
  return sigMessage("delete", messages);
}

/** Node reply signature: PUBKEY_HEX ‖ requested[…] ‖ deleted[…] (deleted ascii-sorted). */
export function deleteResponseSignatureMessage(
  pubkeyHex: string,
  requested: readonly string[],
  deleted: readonly string[],
): Uint8Array {
  return sigMessage(pubkeyHex, requested, deleted);
}

export interface DeleteSwarmEntry {
  /** Ascii-sorted hashes this member deleted. */
  deleted: string[];
  signature: string;
}
export type DeleteResponse = SwarmResponse<DeleteSwarmEntry>;
