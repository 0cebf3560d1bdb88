import { decodeCheckedBase64, fromBase64, fromHex } from "@session/crypto";
import { z } from "zod";
import { isValidMessageHash } from "../message-hash.ts";
import { NAMESPACE_MAX, NAMESPACE_MIN } from "../namespaces.ts";
import { parseUserPubkey, type UserPubkey } from "../pubkey.ts";
import { MIN_TIMESTAMP_MS, SUBACCOUNT_TOKEN_LENGTH } from "./limits.ts";

/*
 * Field schemas shared by the storage RPC methods. Each turns the JSON form a client sends
 * (hex/base64 strings, integers) into the parsed form (bytes, numbers), with the same acceptance
 * rules as oxen-storage-server's client_rpc_endpoints.cpp.
 */

const HEX64 = /^[0-9a-fA-F]{64}$/;
const HEX72 = /^[0-9a-fA-F]{72}$/;
const B64_CHARS = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Base64 as oxenc::is_base64 accepts it: standard or URL-safe alphabet, unpadded (length not
 * 1 mod 4) or padded to a multiple of 4.
 */
export function isBase64(s: string): boolean {
  if (!B64_CHARS.test(s)) return false;
  return s.includes("=") ? s.length % 4 === 0 : s.length % 4 !== 1;
}

/** A 66-hex-digit account pubkey → UserPubkey. */
export const pubkeyField = z
  .string({ error: "Pubkey must be 66 hex digits (33 bytes) long" })
  .regex(/^[0-9a-fA-F]{66}$/, "Pubkey must be 66 hex digits (33 bytes) long")
  .transform((s): UserPubkey => parseUserPubkey(s));

/** `pubkey_ed25519`: 64 hex digits → 32 bytes. */
export const ed25519PubkeyField = z
  .string()
  .regex(HEX64, "Invalid pubkey_ed25519: expected 64 hex char pubkey")
  .transform((s) => fromHex(s));

/** A base64 Ed25519 signature: 86 chars unpadded or 88 ending in "==" → 64 bytes. */
export const signatureField = z
  .string()
  .refine(
    (s) => isBase64(s) && (s.length === 86 || (s.length === 88 && s.endsWith("=="))),
    "invalid signature: expected base64 encoded Ed25519 signature",
  )
  .transform((s) => decodeCheckedBase64(s));

/** Unix epoch milliseconds, as a non-negative integer; tiny values are taken to be seconds. */
export const timestampField = z
  .number({ error: "expected integer timestamp (in milliseconds)" })
  .int("expected integer timestamp (in milliseconds)")
  .nonnegative("expected integer timestamp (in milliseconds)")
  .max(Number.MAX_SAFE_INTEGER)
  .refine((n) => n >= MIN_TIMESTAMP_MS, "Invalid timestamp: timestamp must be in milliseconds");

/** A decimal integer given as a string (backwards compatibility for store's timestamp/ttl). */
const stringifiedInt = z
  .string()
  .regex(/^-?[0-9]{1,16}$/, "expected an integer")
  .transform((s) => Number(s));

/** store: `timestamp` may be a number or a stringified integer. */
export const stringifiedTimestampField = z.union([timestampField, stringifiedInt.pipe(timestampField)]);

/** store: `ttl` (ms) may be a number or a stringified integer. */
export const ttlField = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  stringifiedInt.pipe(z.number().int().nonnegative()),
]);

/** A 16-bit signed namespace. */
export const namespaceField = z
  .number({ error: "expected 16-bit integer" })
  .int("expected 16-bit integer")
  .min(NAMESPACE_MIN, "value out of range")
  .max(NAMESPACE_MAX, "value out of range");

/** A namespace or the string "all" (delete_all, delete_before, expire_all). */
export const namespaceOrAllField = z.union([namespaceField, z.literal("all")], {
  error: 'expected integer or "all"',
});
export type NamespaceOrAll = number | "all";

/** A message hash as the server hands them out: 43 base64 characters. */
export const messageHashField = z.string().check((ctx) => {
  if (!isValidMessageHash(ctx.value))
    ctx.issues.push({ code: "custom", message: `invalid message hash: ${ctx.value}`, input: ctx.value });
});

/** A single string or a non-empty array of strings (the server accepts both). */
function stringOrList<T extends z.ZodType<string>>(item: T) {
  return z
    .union([item.transform((s) => [s]), z.array(item)])
    .refine((a) => a.length > 0, "messages does not contain any message hashes");
}
export const messageHashListField = stringOrList(messageHashField);
/** get_expiries does not check hash shapes, only that strings are given. */
export const anyStringListField = stringOrList(z.string());

/** A 36-byte subaccount token, as base64 (48 chars) or hex (72 chars). */
export const subaccountTokenField = z.string().transform((s, ctx) => {
  if (s.length === (SUBACCOUNT_TOKEN_LENGTH * 4) / 3 && isBase64(s)) {
    return fromBase64(s);
  }
  if (HEX72.test(s)) return fromHex(s);
  ctx.addIssue({ code: "custom", message: "expected base64 or hex-encoded subaccount token" });
  return z.NEVER;
});
