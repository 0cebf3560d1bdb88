import { ProtocolError } from "../errors.ts";
import { parseWith } from "./common.ts";
import { type DeleteParams, deleteParamsSchema } from "./delete.ts";
import { type DeleteAllParams, deleteAllParamsSchema } from "./delete-all.ts";
import { type DeleteBeforeParams, deleteBeforeParamsSchema } from "./delete-before.ts";
import { type ExpireParams, expireParamsSchema } from "./expire.ts";
import { type ExpireAllParams, expireAllParamsSchema } from "./expire-all.ts";
import { type GetExpiriesParams, getExpiriesParamsSchema } from "./get-expiries.ts";
import { type GetSwarmParams, getSwarmParamsSchema } from "./get-swarm.ts";
import { type InfoParams, infoParamsSchema } from "./info.ts";
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

export type RpcSubrequestMethod = RpcSubrequest["method"];

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
  return { method: m, params: parseWith(subrequestSchemas[m], params) } as RpcSubrequest;
}
