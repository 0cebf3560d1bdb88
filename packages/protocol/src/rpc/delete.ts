import { z } from "zod";
import type { UserPubkey } from "../pubkey.ts";
import {
  authShape,
  buildAuth,
  jsonParams,
  messageHashListField,
  parseWith,
  pubkeyField,
  type RequestAuth,
  sigMessage,
} from "./common.ts";
import type { SwarmResponse } from "./responses.ts";

/** `delete`: delete specific messages by hash, swarm-wide. */
export interface DeleteParams {
  pubkey: UserPubkey;
  messages: string[];
  /** If true, answer 404 unless some swarm member deleted at least one message. */
  required: boolean;
  auth: RequestAuth;
}

export const deleteParamsSchema = jsonParams(
  z
    .object({
      pubkey: pubkeyField,
      messages: messageHashListField,
      required: z.boolean().optional(),
      ...authShape,
    })
    .transform(
      (v, ctx): DeleteParams => ({
        pubkey: v.pubkey,
        messages: v.messages,
        required: v.required ?? false,
        auth: buildAuth(v, ctx),
      }),
    ),
);
export type DeleteParamsJson = z.input<typeof deleteParamsSchema>;

export function parseDeleteParams(params: unknown): DeleteParams {
  return parseWith(deleteParamsSchema, params);
}

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
