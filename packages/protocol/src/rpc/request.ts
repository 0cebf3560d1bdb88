import { ProtocolError } from "../errors.ts";
import { type BatchParams, parseBatchRequests } from "./batch.ts";
import { type IfElseCondition, ifElseConditionSchema } from "./ifelse.ts";
import { parseWith } from "./parse-params.ts";
import {
  canonicalMethod,
  isObject,
  parseSubrequest,
  RPC_SUBREQUEST_METHODS,
  type RpcSubrequest,
} from "./subrequest.ts";

export type RpcRequest =
  | RpcSubrequest
  | ({ method: "batch" } & BatchParams)
  | ({ method: "sequence" } & BatchParams)
  // Branches are not named `then`/`else`: a `then` property would make the object a thenable.
  | { method: "ifelse"; condition: IfElseCondition; thenRequest?: RpcRequest; elseRequest?: RpcRequest };

export type RpcMethod = RpcRequest["method"];

export const RPC_METHODS: readonly RpcMethod[] = [...RPC_SUBREQUEST_METHODS, "batch", "sequence", "ifelse"];

/** Nesting limit for ifelse-within-ifelse (the real server has none; we bound recursion). */
export const IFELSE_MAX_DEPTH = 8;

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
      if (!(RPC_METHODS as readonly string[]).includes(canonicalMethod(b.method))) {
        // oxenss names the branch here, not the method.
        throw new ProtocolError("BAD_REQUEST", `Invalid ifelse request method "${key}"`);
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
 * bad params, UNSUPPORTED_METHOD for unknown methods. Messages are oxenss's response bodies
 * (request_handler.cpp process_client_req): "invalid json: no `method` field", "no method X",
 * and "invalid request: " + the parse error for bad params.
 */
export function parseRpcRequest(body: unknown): RpcRequest {
  // oxenss: nlohmann's find() on a non-object finds nothing.
  if (!isObject(body) || typeof body.method !== "string")
    throw new ProtocolError("BAD_REQUEST", "invalid json: no `method` field");
  if (!isObject(body.params)) throw new ProtocolError("BAD_REQUEST", "invalid json: no `params` field");
  if (!(RPC_METHODS as readonly string[]).includes(canonicalMethod(body.method)))
    throw new ProtocolError("UNSUPPORTED_METHOD", `no method ${body.method}`);
  try {
    return parseMethodParams(body.method, body.params, 0);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    throw new ProtocolError(err.code, `invalid request: ${err.message}`, err.details, { cause: err });
  }
}

/** Parses raw request bytes/text as JSON first (INVALID_JSON on failure). */
export function parseRpcRequestJson(text: string | Uint8Array): RpcRequest {
  let body: unknown;
  try {
    body = JSON.parse(
      typeof text === "string" ? text : new TextDecoder("utf-8", { fatal: true }).decode(text),
    );
  } catch (cause) {
    throw new ProtocolError("INVALID_JSON", "invalid json", undefined, { cause });
  }
  return parseRpcRequest(body);
}
