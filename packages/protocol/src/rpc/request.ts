import { ProtocolError } from "../errors.ts";
import { parseWith } from "./common.ts";
import { type DeleteParams, deleteParamsSchema } from "./delete.ts";
import { type DeleteAllParams, deleteAllParamsSchema } from "./delete-all.ts";
import { type DeleteBeforeParams, deleteBeforeParamsSchema } from "./delete-before.ts";
import { type ExpireParams, expireParamsSchema } from "./expire.ts";
import { type ExpireAllParams, expireAllParamsSchema } from "./expire-all.ts";
import { type GetExpiriesParams, getExpiriesParamsSchema } from "./get-expiries.ts";
import { type GetSwarmParams, getSwarmParamsSchema } from "./get-swarm.ts";
import { type IfElseCondition, ifElseConditionSchema } from "./ifelse.ts";
import { type InfoParams, infoParamsSchema } from "./info.ts";
import { BATCH_REQUEST_MAX } from "./limits.ts";
import { type OxendRequestParams, oxendRequestParamsSchema } from "./oxend-request.ts";
import { type RetrieveParams, retrieveParamsSchema } from "./retrieve.ts";
import { type StoreParams, storeParamsSchema } from "./store.ts";
import {
  revokeSubaccountParamsSchema,
  type SubaccountRevocationParams,
  unrevokeSubaccountParamsSchema,
} from "./subaccount-revocation.ts";

/** Every method that may appear alone or inside batch/sequence (client_rpc_subrequests). */
export type RpcSubrequest =
  | { method: "store"; params: StoreParams }
  | { method: "retrieve"; params: RetrieveParams }
  | { method: "delete"; params: DeleteParams }
  | { method: "delete_all"; params: DeleteAllParams }
  | { method: "delete_before"; params: DeleteBeforeParams }
  | { method: "expire"; params: ExpireParams }
  | { method: "expire_all"; params: ExpireAllParams }
  | { method: "get_expiries"; params: GetExpiriesParams }
  | { method: "get_swarm"; params: GetSwarmParams }
  | { method: "oxend_request"; params: OxendRequestParams }
  | { method: "info"; params: InfoParams }
  | { method: "revoke_subaccount"; params: SubaccountRevocationParams }
  | { method: "unrevoke_subaccount"; params: SubaccountRevocationParams };

export type RpcRequest =
  | RpcSubrequest
  | { method: "batch"; requests: RpcSubrequest[] }
  | { method: "sequence"; requests: RpcSubrequest[] }
  // Branches are not named `then`/`else`: a `then` property would make the object a thenable.
  | { method: "ifelse"; condition: IfElseCondition; thenRequest?: RpcRequest; elseRequest?: RpcRequest };

export type RpcSubrequestMethod = RpcSubrequest["method"];
export type RpcMethod = RpcRequest["method"];

const subrequestSchemas = {
  store: storeParamsSchema,
  retrieve: retrieveParamsSchema,
  delete: deleteParamsSchema,
  delete_all: deleteAllParamsSchema,
  delete_before: deleteBeforeParamsSchema,
  expire: expireParamsSchema,
  expire_all: expireAllParamsSchema,
  get_expiries: getExpiriesParamsSchema,
  get_swarm: getSwarmParamsSchema,
  oxend_request: oxendRequestParamsSchema,
  info: infoParamsSchema,
  revoke_subaccount: revokeSubaccountParamsSchema,
  unrevoke_subaccount: unrevokeSubaccountParamsSchema,
} as const;

/** Alternative method names the server registers (client_rpc_endpoints.h NAMES(...)). */
const METHOD_ALIASES: Record<string, RpcSubrequestMethod> = { get_snodes_for_pubkey: "get_swarm" };

export const RPC_SUBREQUEST_METHODS = Object.keys(subrequestSchemas) as RpcSubrequestMethod[];
export const RPC_METHODS: readonly RpcMethod[] = [...RPC_SUBREQUEST_METHODS, "batch", "sequence", "ifelse"];

/** Nesting limit for ifelse-within-ifelse (the real server has none; we bound recursion). */
export const IFELSE_MAX_DEPTH = 8;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function canonicalMethod(method: string): string {
  return METHOD_ALIASES[method] ?? method;
}

function isSubrequestMethod(m: string): m is RpcSubrequestMethod {
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
  return { method: m, params: parseWith(subrequestSchemas[m], params) } as RpcSubrequest;
}

function parseBatchRequests(params: Record<string, unknown>): RpcSubrequest[] {
  const reqs = params.requests;
  if (!Array.isArray(reqs) || reqs.length === 0) {
    throw new ProtocolError("BAD_REQUEST", 'Invalid batch request: no valid "requests" field');
  }
  if (reqs.length > BATCH_REQUEST_MAX) {
    throw new ProtocolError("BAD_REQUEST", "Invalid batch request: subrequest limit exceeded");
  }
  return reqs.map((r) => {
    if (!isObject(r))
      throw new ProtocolError("BAD_REQUEST", "Invalid batch request: requests must be objects");
    if (typeof r.method !== "string" || !isObject(r.params)) {
      throw new ProtocolError(
        "BAD_REQUEST",
        "Invalid batch request: subrequests must have method/params keys",
      );
    }
    const m = canonicalMethod(r.method);
    if (!isSubrequestMethod(m) && m !== "batch" && m !== "sequence" && m !== "ifelse") {
      throw new ProtocolError("BAD_REQUEST", `Invalid batch subrequest: invalid method "${r.method}"`);
    }
    return parseSubrequest(m, r.params);
  });
}

function parseMethodParams(method: string, params: unknown, depth: number): RpcRequest {
  const m = canonicalMethod(method);
  if (m === "batch" || m === "sequence") {
    if (!isObject(params)) throw new ProtocolError("BAD_REQUEST", "invalid json: no `params` field");
    return { method: m, requests: parseBatchRequests(params) };
  }
  if (m === "ifelse") {
    if (!isObject(params)) throw new ProtocolError("BAD_REQUEST", "invalid json: no `params` field");
    if (depth >= IFELSE_MAX_DEPTH)
      throw new ProtocolError("BAD_REQUEST", "Invalid ifelse request: nested too deeply");
    if (!isObject(params.if))
      throw new ProtocolError("BAD_REQUEST", 'Invalid ifelse request: no valid "if" field');
    const condition = parseWith(ifElseConditionSchema, params.if);
    const branch = (key: "then" | "else"): RpcRequest | undefined => {
      const b = params[key];
      if (b === undefined) return undefined;
      if (!isObject(b))
        throw new ProtocolError("BAD_REQUEST", `Invalid ifelse request: ${key} must be an object`);
      if (typeof b.method !== "string" || !("params" in b)) {
        throw new ProtocolError("BAD_REQUEST", `Invalid ifelse request: ${key} must have method/params keys`);
      }
      return parseMethodParams(b.method, b.params, depth + 1);
    };
    const thenReq = branch("then");
    const elseReq = branch("else");
    if (!thenReq && !elseReq) {
      throw new ProtocolError(
        "BAD_REQUEST",
        'Invalid ifelse request: at least one of "then"/"else" required',
      );
    }
    const out: RpcRequest = { method: "ifelse", condition };
    if (thenReq) out.thenRequest = thenReq;
    if (elseReq) out.elseRequest = elseReq;
    return out;
  }
  return parseSubrequest(m, params);
}

/**
 * Parses a storage RPC body `{ "method": ..., "params": {...} }` (already JSON-decoded) into a
 * typed request. Throws ProtocolError only: BAD_REQUEST / INVALID_PUBKEY / PAYLOAD_TOO_LARGE for
 * bad params, UNSUPPORTED_METHOD for unknown methods.
 */
export function parseRpcRequest(body: unknown): RpcRequest {
  if (!isObject(body)) throw new ProtocolError("INVALID_JSON", "invalid json: expected an object");
  if (typeof body.method !== "string")
    throw new ProtocolError("BAD_REQUEST", "invalid json: no `method` field");
  if (!isObject(body.params)) throw new ProtocolError("BAD_REQUEST", "invalid json: no `params` field");
  return parseMethodParams(body.method, body.params, 0);
}

/** Parses raw request bytes/text as JSON first (INVALID_JSON on failure). */
export function parseRpcRequestJson(text: string | Uint8Array): RpcRequest {
  let body: unknown;
  try {
    body = JSON.parse(
      typeof text === "string" ? text : new TextDecoder("utf-8", { fatal: true }).decode(text),
    );
  } catch {
    throw new ProtocolError("INVALID_JSON", "invalid json");
  }
  return parseRpcRequest(body);
}
