import type { z } from "zod";
import { ProtocolError } from "../errors.ts";
import { deleteParamsSchema } from "./delete.ts";
import { expireParamsSchema } from "./expire.ts";
import { fastRetrieveParams, fastStoreParams } from "./fast-params.ts";
import { getExpiriesParamsSchema } from "./get-expiries.ts";
import { getSwarmParamsSchema } from "./get-swarm.ts";
import { infoParamsSchema } from "./info.ts";
import { deleteAll, deleteBefore, expireAll } from "./namespace-scoped.ts";
import { oxendRequestParamsSchema } from "./oxend-request.ts";
import { parseWith } from "./parse-params.ts";
import { retrieveParamsSchema } from "./retrieve.ts";
import { storeParamsSchema } from "./store.ts";
import { revokeSubaccountParamsSchema, unrevokeSubaccountParamsSchema } from "./subaccount-revocation.ts";

/** Every method that may appear alone or inside batch/sequence (client_rpc_subrequests), with its params schema. */
const subrequestSchemas = {
  store: storeParamsSchema,
  retrieve: retrieveParamsSchema,
  delete: deleteParamsSchema,
  delete_all: deleteAll.schema,
  delete_before: deleteBefore.schema,
  expire: expireParamsSchema,
  expire_all: expireAll.schema,
  get_expiries: getExpiriesParamsSchema,
  get_swarm: getSwarmParamsSchema,
  oxend_request: oxendRequestParamsSchema,
  info: infoParamsSchema,
  revoke_subaccount: revokeSubaccountParamsSchema,
  unrevoke_subaccount: unrevokeSubaccountParamsSchema,
} as const;

export type RpcSubrequestMethod = keyof typeof subrequestSchemas;

/** Each method's parsed params (StoreParams, DeleteParams, …), as its schema yields them. */
export type SubrequestParams = { [M in RpcSubrequestMethod]: z.output<(typeof subrequestSchemas)[M]> };

/** A method with its parsed params; `method` tells the params apart. */
export type RpcSubrequest = {
  [M in RpcSubrequestMethod]: { method: M; params: SubrequestParams[M] };
}[RpcSubrequestMethod];

/** Alternative method names the server registers (client_rpc_endpoints.h NAMES(...)). */
const METHOD_ALIASES: Record<string, RpcSubrequestMethod> = { get_snodes_for_pubkey: "get_swarm" };

export const RPC_SUBREQUEST_METHODS = Object.keys(subrequestSchemas) as RpcSubrequestMethod[];

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function canonicalMethod(method: string): string {
  return METHOD_ALIASES[method] ?? method;
}

export function isSubrequestMethod(m: string): m is RpcSubrequestMethod {
  return Object.hasOwn(subrequestSchemas, m);
}

/** Parses the params of one (non-meta) method. */
export function parseSubrequest(method: string, params: unknown): RpcSubrequest {
  const m = canonicalMethod(method);
  if (!isSubrequestMethod(m)) {
    if (m === "batch" || m === "sequence" || m === "ifelse") {
      throw new ProtocolError(
        "BAD_REQUEST",
        "Invalid batch subrequest: subrequests may not contain meta-requests",
      );
    }
    throw new ProtocolError("UNSUPPORTED_METHOD", `no method ${method}`);
  }
  if (!isObject(params)) throw new ProtocolError("BAD_REQUEST", "invalid json: no `params` field");
  // The usual store and retrieve, read without zod (fast-params.ts); the schema parses the rest.
  if (m === "retrieve") {
    const fast = fastRetrieveParams(params);
    if (fast) return { method: m, params: fast };
  } else if (m === "store") {
    const fast = fastStoreParams(params);
    if (fast) return { method: m, params: fast };
  }
  return { method: m, params: parseWith(subrequestSchemas[m], params) } as RpcSubrequest;
}
