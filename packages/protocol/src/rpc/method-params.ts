// How a storage RPC method's params schema is put together: JSON quirks the server tolerates
// (nulls, legacy aliases), the parse entry point, and the shape shared by methods the account signs.
import { z } from "zod";
import { pubkeyField } from "./common.ts";
import { parseWith } from "./parse-params.ts";
import { type AuthJson, authShape, type SignedParams, signedParams } from "./request-auth.ts";

/**
 * The object schema of a method the account signs: `pubkey`, the method's own `fields`, then the
 * auth fields. Keep that order: a schema reports its fields' issues in key order, and the first
 * one is the error the client reads.
 */
function signedObject<S extends z.ZodRawShape>(fields: S) {
  return z.object({ pubkey: pubkeyField, ...fields, ...authShape });
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
