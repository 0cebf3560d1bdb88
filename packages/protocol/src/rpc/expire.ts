import { z } from "zod";
import { messageHashListField } from "./common.ts";
import { signedMethod } from "./method-params.ts";
import { asciiSort } from "./namespace-scoped.ts";
import type { SignedParams } from "./request-auth.ts";
import type { SwarmResponse } from "./responses.ts";
import { sigMessage } from "./sig-message.ts";

/** `expire`: set (or only shorten / only extend) the expiry of given messages, swarm-wide. */
export interface ExpireParams extends SignedParams {
  messages: string[];
  /** One expiry for all messages, or one per message (same length as `messages`). */
  expiry: number[];
  shorten: boolean;
  extend: boolean;
}

const epochMs = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const params = signedMethod(
  {
    messages: messageHashListField,
    expiry: z.union([epochMs.transform((n) => [n]), z.array(epochMs)], {
      error: "expected timestamp array",
    }),
    shorten: z.boolean().optional(),
    extend: z.boolean().optional(),
  },
  (v, ctx) => {
    if (v.expiry.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["expiry"],
        message: "'expiry' does not contain any expiration timestamps",
      });
    }
    if (v.shorten && v.extend) {
      ctx.addIssue({
        code: "custom",
        path: ["shorten"],
        message: "cannot specify both 'shorten' and 'extend'",
      });
    }
    if (v.expiry.length > 1 && v.expiry.length !== v.messages.length) {
      ctx.addIssue({
        code: "custom",
        path: ["expiry"],
        message: "'expiry' must be a single expiry, or the same length as 'messages'",
      });
    }
    return { messages: v.messages, expiry: v.expiry, shorten: v.shorten ?? false, extend: v.extend ?? false };
  },
);

export const expireParamsSchema = params.schema;
export type ExpireParamsJson = z.input<typeof expireParamsSchema>;
export const parseExpireParams: (params: unknown) => ExpireParams = params.parse;

/**
 * "expire" ‖ ("shorten" | "extend" | "") ‖ EXPIRY ‖ messages…, where EXPIRY is the decimal
 * expiry, or for per-message expiries all of them concatenated in order.
 */
export function expireSignatureMessage(opts: {
  shorten?: boolean;
  extend?: boolean;
  expiry: number | readonly number[];
  messages: readonly string[];
}): Uint8Array {
  const mode = opts.shorten ? "shorten" : opts.extend ? "extend" : "";
  const expiries = typeof opts.expiry === "number" ? [opts.expiry] : opts.expiry;
  return sigMessage("expire", mode, expiries, opts.messages);
}

/**
 * Node reply: PUBKEY_HEX ‖ EXPIRY… ‖ requested… ‖ updated… ‖ (HASH ‖ EXPIRY for each unchanged,
 * ascii-sorted by hash). EXPIRY… is the single applied expiry, or the per-message expiries of the
 * updated messages.
 */
export function expireResponseSignatureMessage(
  pubkeyHex: string,
  expiries: readonly number[],
  requested: readonly string[],
  updatedSorted: readonly string[],
  unchanged: Readonly<Record<string, number>> = {},
): Uint8Array {
  const unchangedParts: (string | number)[] = [];
  for (const h of asciiSort(Object.keys(unchanged))) unchangedParts.push(h, unchanged[h]!);
  return sigMessage(pubkeyHex, expiries, requested, updatedSorted, unchangedParts);
}

export interface ExpireSwarmEntry {
  /** Ascii-sorted hashes whose expiry changed. */
  updated: string[];
  /** Hash → current expiry, for messages left unchanged by shorten/extend (only with those flags). */
  unchanged?: Record<string, number>;
  /** Applied expiry, or per-updated-message expiries for multi-expiry requests. */
  expiry: number | number[];
  signature: string;
}
export type ExpireResponse = SwarmResponse<ExpireSwarmEntry>;
