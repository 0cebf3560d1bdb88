import { ProtocolError } from "../errors.ts";
import { BATCH_REQUEST_MAX } from "./limits.ts";
import {
  canonicalMethod,
  isObject,
  isSubrequestMethod,
  parseSubrequest,
  type RpcSubrequest,
} from "./subrequest.ts";

/**
 * `batch` / `sequence` params: `{ requests: [{ method, params }, …] }` with 1..20 entries, none of
 * them batch/sequence/ifelse (client_rpc_endpoints.cpp `batch::load_from`). batch runs them in
 * any order; sequence stops at the first non-2xx result.
 */
export interface BatchParams {
  requests: RpcSubrequest[];
}

/** Parses batch/sequence params (the `{ requests }` object). */
export function parseBatchRequests(params: Record<string, unknown>): RpcSubrequest[] {
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
