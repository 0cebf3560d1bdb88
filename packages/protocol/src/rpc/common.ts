import { concatBytes, decodeCheckedBase64, fromBase64, fromHex, utf8Encode } from "@session/crypto";
import { z } from "zod";
import { type ErrorCode, errorTable, fromZodError, ProtocolError } from "../errors.ts";
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

/** The authentication a signed request carries, parsed. */
export interface RequestAuth {
  /** 64-byte Ed25519 signature over the method's signature message. */
  signature: Uint8Array;
  /** For 05 Session IDs: the Ed25519 key that signed (it must convert to the X25519 pubkey). */
  pubkeyEd25519?: Uint8Array;
  /** A subaccount token and the account owner's signature of it. */
  subaccount?: { token: Uint8Array; signature: Uint8Array };
}

/** The JSON auth fields accepted by every signed method. */
export const authShape = {
  signature: signatureField,
  pubkey_ed25519: ed25519PubkeyField.optional(),
  subaccount: z.string().optional(),
  subaccount_sig: signatureField.optional(),
};

/** The JSON auth fields (and `pubkey`) as the schema parsed them. */
export type AuthJson = {
  pubkey: UserPubkey;
  signature: Uint8Array;
  pubkey_ed25519?: Uint8Array | undefined;
  subaccount?: string | undefined;
  subaccount_sig?: Uint8Array | undefined;
};

/** The signature plus `pubkey_ed25519`, which only 05 (Session ID) accounts may give. */
export function accountAuth(
  v: Pick<AuthJson, "pubkey" | "signature" | "pubkey_ed25519">,
  ctx: z.RefinementCtx,
): Pick<RequestAuth, "signature" | "pubkeyEd25519"> {
  const auth: Pick<RequestAuth, "signature" | "pubkeyEd25519"> = { signature: v.signature };
  if (v.pubkey_ed25519) {
    if (v.pubkey.type !== 5) {
      ctx.addIssue({
        code: "custom",
        path: ["pubkey_ed25519"],
        message: "pubkey_ed25519 is only permitted for 05[...] pubkeys",
      });
    }
    auth.pubkeyEd25519 = v.pubkey_ed25519;
  }
  return auth;
}

/** Validates and assembles RequestAuth from parsed JSON fields (rules of load_pk_signature/load_subaccount). */
export function buildAuth(v: AuthJson, ctx: z.RefinementCtx): RequestAuth {
  const auth: RequestAuth = accountAuth(v, ctx);
  if (v.subaccount !== undefined && v.subaccount !== "") {
    const token = subaccountTokenField.safeParse(v.subaccount);
    if (!token.success) {
      ctx.addIssue({
        code: "custom",
        path: ["subaccount"],
        message: "invalid subaccount: expected base64 or hex-encoded subaccount token",
      });
    } else if (!v.subaccount_sig) {
      ctx.addIssue({
        code: "custom",
        path: ["subaccount_sig"],
        message: "invalid subaccount: subaccount_sig is required when using subaccount",
      });
    } else {
      auth.subaccount = { token: token.data, signature: v.subaccount_sig };
    }
  }
  return auth;
}

/** What every request the account signs carries, parsed: the account and its proof. */
export interface SignedParams {
  pubkey: UserPubkey;
  auth: RequestAuth;
}

/**
 * The object schema of a method the account signs: `pubkey`, the method's own `fields`, then the
 * auth fields. Keep that order: a schema reports its fields' issues in key order, and the first
 * one is the error the client reads.
 */
function signedObject<S extends z.ZodRawShape>(fields: S) {
  return z.object({ pubkey: pubkeyField, ...fields, ...authShape });
}

/** SignedParams from the parsed JSON fields (buildAuth's checks included). */
export function signedParams(v: AuthJson, ctx: z.RefinementCtx): SignedParams {
  return { pubkey: v.pubkey, auth: buildAuth(v, ctx) };
}

/**
 * Wraps an object schema so that, as the server does, null values count as absent and legacy
 * aliases (`pubKey`, `lastHash`) are accepted — but not together with their canonical name.
 */
export function jsonParams<S extends z.ZodType>(schema: S, aliases: Record<string, string> = {}) {
  return z.preprocess((input, ctx) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
    // Null prototype: a JSON key "__proto__" stays a plain (ignored) key instead of a prototype.
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(input)) if (v !== null) out[k] = v;
    for (const [alias, canonical] of Object.entries(aliases)) {
      if (alias in out) {
        if (canonical in out) {
          ctx.addIssue({
            code: "custom",
            path: [canonical],
            message: `Cannot specify both '${canonical}' and '${alias}'`,
          });
        }
        out[canonical] = out[alias];
        delete out[alias];
      }
    }
    return out;
  }, schema);
}

/**
 * A method's params: its `schema` (the object schema wrapped by jsonParams) and `parse`, which
 * runs it with parseWith.
 */
export function methodParams<S extends z.ZodType>(schema: S, aliases: Record<string, string> = {}) {
  const wrapped = jsonParams(schema, aliases);
  return { schema: wrapped, parse: (params: unknown): z.output<S> => parseWith(wrapped, params) };
}

/**
 * The params of a method the account signs: its own `fields` (signedObject) and `own`, which
 * turns them into the method's own params. Pubkey and auth are added after `own` has run, so
 * `own`'s issues are reported before the auth fields' checks.
 */
export function signedMethod<S extends z.ZodRawShape, T>(
  fields: S,
  own: (v: z.output<ReturnType<typeof signedObject<S>>>, ctx: z.RefinementCtx) => T,
) {
  return methodParams(
    signedObject(fields).transform((v, ctx): T & SignedParams => {
      const mine = own(v, ctx);
      // The generic shape defeats zod's inference; signedObject's pubkey and auth fields are there.
      return { ...mine, ...signedParams(v as unknown as AuthJson, ctx) };
    }),
  );
}

/** Field names whose failure gets a more specific error code than BAD_REQUEST. */
export const FIELD_ERROR_CODES = { pubkey: "INVALID_PUBKEY" } as const;

/** Runs a schema, converting failures into ProtocolError (never an untyped throw). */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  let result: ReturnType<S["safeParse"]>;
  try {
    result = schema.safeParse(input) as ReturnType<S["safeParse"]>;
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError("BAD_REQUEST", "invalid request parameters", undefined, { cause: err });
  }
  if (!result.success) {
    const typed = fromZodError(result.error, "BAD_REQUEST", FIELD_ERROR_CODES);
    const issue = firstOxenssIssue(result.error.issues, input);
    const code = codeForIssue(issue, typed.code);
    throw new ProtocolError(code, oxenssParseMessage(issue, input), typed.details);
  }
  return result.data as z.output<S>;
}

type Issue = z.core.$ZodIssue;

const fieldOf = (issue: Issue): string => String(issue.path[0] ?? "");
const isAbsent = (input: unknown, name: string): boolean =>
  typeof input !== "object" || input === null || (input as Record<string, unknown>)[name] == null;

/**
 * The issue oxenss would report first: it reads every field's type before any other check
 * (client_rpc_endpoints.cpp load_fields, in key order), then runs the method's own checks; so a
 * field given with the wrong type wins, then the schema's first issue.
 */
function firstOxenssIssue(rawIssues: readonly Issue[], input: unknown): Issue {
  const issues = rawIssues.map(unwrapUnion);
  const typeIssues = issues.filter(
    (i) => (i.code === "invalid_type" || i.code === "invalid_union") && !isAbsent(input, fieldOf(i)),
  );
  typeIssues.sort((a, b) => (fieldOf(a) < fieldOf(b) ? -1 : fieldOf(a) > fieldOf(b) ? 1 : 0));
  return typeIssues[0] ?? issues[0]!;
}

/**
 * A union of forms (a hash or a list of hashes) that failed in a form of the right type reports
 * that form's issue, as oxenss (which checks the type first) would.
 */
function unwrapUnion(issue: Issue): Issue {
  if (issue.code !== "invalid_union") return issue;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.code !== "invalid_type" && first.code !== "invalid_union")
      return { ...first, path: [...issue.path, ...first.path] } as Issue;
  }
  return issue;
}

function codeForIssue(issue: Issue, fallback: ErrorCode): ErrorCode {
  const own = (issue as { params?: { errorCode?: unknown } }).params?.errorCode;
  if (typeof own === "string" && own in errorTable) return own as ErrorCode;
  return fieldOf(issue) === "pubkey"
    ? "INVALID_PUBKEY"
    : fallback === "INVALID_PUBKEY"
      ? "BAD_REQUEST"
      : fallback;
}

/** oxenss's type names in "Invalid value given for 'x': expected …" (type_desc). */
const TYPE_DESC: Record<string, string> = {
  string: "string",
  number: "integer",
  int: "integer",
  boolean: "boolean",
  array: "string array",
};

/**
 * The text of oxenss's parse_error for an issue (the body then reads "invalid request: " + it):
 * "Required field 'x' missing", "Invalid value given for 'x': expected …", or the schema's own
 * message where it already is oxenss's wording.
 */
export function oxenssParseMessage(issue: Issue, input: unknown): string {
  const name = fieldOf(issue);
  const msg = issue.message;
  if (
    issue.path.length === 1 &&
    isAbsent(input, name) &&
    (issue.code === "invalid_type" || issue.code === "invalid_union")
  ) {
    return `Required field '${name}' missing`;
  }
  if (msg.startsWith("expected ") || msg === "value out of range")
    return `Invalid value given for '${name}': ${msg}`;
  if (msg.startsWith("Invalid timestamp: ")) return `Invalid timestamp for '${name}': ${msg.slice(19)}`;
  if (issue.code === "invalid_type" || issue.code === "invalid_union") {
    const expected = issue.code === "invalid_type" ? TYPE_DESC[issue.expected] : undefined;
    return `Invalid value given for '${name}': expected ${expected ?? "string"}`;
  }
  return msg;
}

/** Concatenates signature-message parts (strings as UTF-8, bytes as-is) as the server does. */
export function sigMessage(
  ...parts: ReadonlyArray<string | number | Uint8Array | readonly (string | number | Uint8Array)[]>
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const add = (p: string | number | Uint8Array) => {
    if (p instanceof Uint8Array) chunks.push(p);
    else chunks.push(utf8Encode(typeof p === "number" ? integerString(p) : p));
  };
  for (const p of parts) {
    if (Array.isArray(p)) for (const q of p as readonly (string | number | Uint8Array)[]) add(q);
    else add(p as string | number | Uint8Array);
  }
  return concatBytes(...chunks);
}

/** Base-10 form of an integer with no exponent or fraction (std::to_chars). */
function integerString(n: number): string {
  if (!Number.isSafeInteger(n)) throw new ProtocolError("BAD_REQUEST", `not an integer: ${n}`);
  return n.toString(10);
}
