import { z } from "zod";
import { fromZodError } from "../errors.ts";
import { swarmSnodeSchema } from "./get-swarm.ts";

/*
 * zod schemas for what storage nodes answer (request_handler.cpp), for clients and peers that
 * read those answers. Unknown keys are kept (looseObject) so newer nodes stay readable.
 */

const hf = z.tuple([z.number().int(), z.number().int()]);
const misc = { t: z.number().int().optional(), hf: hf.optional() };

export const swarmFailureSchema = z.looseObject({
  failed: z.literal(true),
  timeout: z.boolean().optional(),
  code: z.number().int().optional(),
  reason: z.string().optional(),
  bad_peer_response: z.boolean().optional(),
  query_failure: z.boolean().optional(),
});

/** `{ swarm: { <ed25519 hex>: entry | failure }, t, hf }` */
export function swarmResponseSchema<E extends z.ZodType>(entry: E) {
  return z.looseObject({
    swarm: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.union([swarmFailureSchema, entry])),
    ...misc,
  });
}

const hashList = z.array(z.string());
const hashesOrByNamespace = z.union([hashList, z.record(z.string(), hashList)]);

export const storeResponseSchema = swarmResponseSchema(
  z.looseObject({
    hash: z.string(),
    signature: z.string(),
    expiry: z.number().int().optional(),
    already: z.boolean().optional(),
  }),
).extend({ hash: z.string().optional() });

export const retrieveResponseSchema = z.looseObject({
  messages: z.array(
    z.looseObject({
      hash: z.string(),
      timestamp: z.number().int(),
      expiration: z.number().int(),
      data: z.string(),
    }),
  ),
  more: z.boolean().optional(),
  ...misc,
});

export const deleteResponseSchema = swarmResponseSchema(
  z.looseObject({ deleted: hashList, signature: z.string() }),
);
export const deleteAllResponseSchema = swarmResponseSchema(
  z.looseObject({ deleted: hashesOrByNamespace, signature: z.string() }),
);
export const deleteBeforeResponseSchema = deleteAllResponseSchema;
export const expireAllResponseSchema = swarmResponseSchema(
  z.looseObject({ updated: hashesOrByNamespace, signature: z.string() }),
);
export const expireResponseSchema = swarmResponseSchema(
  z.looseObject({
    updated: hashList,
    unchanged: z.record(z.string(), z.number().int()).optional(),
    expiry: z.union([z.number().int(), z.array(z.number().int())]),
    signature: z.string(),
  }),
);
/** revoke_subaccount: `{ signature }`; unrevoke_subaccount: `{ count, signature }` (removed ones). */
export const revokeSubaccountResponseSchema = swarmResponseSchema(
  z.looseObject({ signature: z.string(), count: z.number().int().min(0).optional() }),
);
export const unrevokeSubaccountResponseSchema = swarmResponseSchema(
  z.looseObject({ count: z.number().int().min(0), signature: z.string() }),
);
export const getExpiriesResponseSchema = z.looseObject({
  expiries: z.record(z.string(), z.number().int()),
  ...misc,
});
export const infoResponseSchema = z.looseObject({
  version: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  timestamp: z.number().int(),
  ...misc,
});
/** Also the body of a 421 (wrong swarm) answer. */
export const swarmInfoResponseSchema = z.looseObject({
  snodes: z.array(swarmSnodeSchema),
  swarm: z.string(),
  ...misc,
});
export const getSwarmResponseSchema = swarmInfoResponseSchema;
export const subrequestResultSchema = z.object({ code: z.number().int(), body: z.unknown() });
export const batchResponseSchema = z.looseObject({ results: z.array(subrequestResultSchema) });

/** Parses an upstream answer; a malformed one is BAD_GATEWAY (the peer misbehaved, not the caller). */
export function parseNodeResponse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw fromZodError(r.error, "BAD_GATEWAY");
  return r.data;
}
