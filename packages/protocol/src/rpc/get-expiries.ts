import { z } from "zod";
import type { UserPubkey } from "../pubkey.ts";
import {
  anyStringListField,
  authShape,
  buildAuth,
  jsonParams,
  parseWith,
  pubkeyField,
  type RequestAuth,
  sigMessage,
  timestampField,
} from "./common.ts";
import type { MiscResponseFields } from "./responses.ts";

/** `get_expiries`: current expiries of given messages. */
export interface GetExpiriesParams {
  pubkey: UserPubkey;
  messages: string[];
  timestamp: number;
  auth: RequestAuth;
}

export const getExpiriesParamsSchema = jsonParams(
  z
    .object({
      pubkey: pubkeyField,
      messages: anyStringListField,
      timestamp: timestampField,
      ...authShape,
    })
    .transform(
      (v, ctx): GetExpiriesParams => ({
        pubkey: v.pubkey,
        messages: v.messages,
        timestamp: v.timestamp,
        auth: buildAuth(v, ctx),
      }),
    ),
);
export type GetExpiriesParamsJson = z.input<typeof getExpiriesParamsSchema>;

export function parseGetExpiriesParams(params: unknown): GetExpiriesParams {
  return parseWith(getExpiriesParamsSchema, params);
}

/** "get_expiries" ‖ TIMESTAMP ‖ messages…. */
export function getExpiriesSignatureMessage(timestamp: number, messages: readonly string[]): Uint8Array {
  return sigMessage("get_expiries", timestamp, messages);
}

export interface GetExpiriesResponse extends Partial<MiscResponseFields> {
  /** hash → expiry (ms), only for messages that exist. */
  expiries: Record<string, number>;
}
