import type { z } from "zod";
import { anyStringListField, timestampField } from "./common.ts";
import { signedMethod } from "./method-params.ts";
import type { SignedParams } from "./request-auth.ts";
import type { MiscResponseFields } from "./responses.ts";
import { sigMessage } from "./sig-message.ts";

/** `get_expiries`: current expiries of given messages. */
export interface GetExpiriesParams extends SignedParams {
  messages: string[];
  timestamp: number;
}

const params = signedMethod({ messages: anyStringListField, timestamp: timestampField }, (v) => ({
  messages: v.messages,
  timestamp: v.timestamp,
}));

export const getExpiriesParamsSchema = params.schema;
export type GetExpiriesParamsJson = z.input<typeof getExpiriesParamsSchema>;
export const parseGetExpiriesParams: (params: unknown) => GetExpiriesParams = params.parse;

/** "get_expiries" ‖ TIMESTAMP ‖ messages…. */
export function getExpiriesSignatureMessage(timestamp: number, messages: readonly string[]): Uint8Array {
  return sigMessage("get_expiries", timestamp, messages);
}

export interface GetExpiriesResponse extends Partial<MiscResponseFields> {
  /** hash → expiry (ms), only for messages that exist. */
  expiries: Record<string, number>;
}
