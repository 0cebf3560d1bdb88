import { SessionError } from "@session/errors";
import type { NodeInfo } from "./node-info.ts";

/*
 * The server side of oxend's GET_SERVICE_NODES (`get_service_nodes`, `get_n_service_nodes`,
 * `get_all_service_nodes`), answered from this network's registry: on a node's `POST /json_rpc`
 * (seed bootstrap) and through the storage RPC's `oxend_request`. Semantics follow oxen-core
 * (core_rpc_server_command_parser.cpp parse_request, core_rpc_server.cpp invoke and
 * fill_sn_response_entry):
 *  - `fields`: `{name: true, …}` (the form Session clients send; `"all": true` means every field)
 *    or a list of names (`"all"` plus `"-name"` excludes one); none means every field. Only the
 *    requested keys appear, in the result as in each node entry;
 *  - `active_only`: drop nodes that are not active;
 *  - `limit`: 0 = every node in registry order; n > 0 = n nodes drawn at random, in random order;
 *    negative or ≥ the count = every node, shuffled;
 *  - `service_node_pubkeys`: only these nodes.
 */

export const SERVICE_NODE_METHODS = [
  "get_service_nodes",
  "get_n_service_nodes",
  "get_all_service_nodes",
] as const;

export interface ServiceNodesQuery {
  /** Requested field names; empty = every field. */
  fields: ReadonlySet<string>;
  activeOnly: boolean;
  limit: number;
  /** Only these nodes (hex service node pubkeys); empty = all. */
  pubkeys: readonly string[];
}

/** What the registry knows besides its nodes. */
export interface ServiceNodesState {
  nodes: readonly NodeInfo[];
  /** Chain height of the registry (the sns-indexer's last indexed block). */
  height: number;
  /** [hardfork, snode revision] this network runs. */
  hardfork: readonly [number, number];
}

/** A bad `params` value (oxend's parse_error): the message says what. */
export class ServiceNodesParamsError extends SessionError<"BAD_PARAMS"> {
  override readonly name = "ServiceNodesParamsError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("BAD_PARAMS", message, options);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses GET_SERVICE_NODES params (absent or null = defaults); throws ServiceNodesParamsError. */
export function parseServiceNodesParams(params: unknown): ServiceNodesQuery {
  if (params === undefined || params === null)
    return { fields: new Set(), activeOnly: false, limit: 0, pubkeys: [] };
  if (!isObject(params)) throw new ServiceNodesParamsError("params must be an object");
  const fields = new Set<string>();
  const f = params.fields;
  if (isObject(f)) {
    for (const [k, on] of Object.entries(f)) {
      if (typeof on !== "boolean")
        throw new ServiceNodesParamsError(`Invalid value for fields.${k}: expected boolean`);
      if (!on) continue;
      if (k === "all") {
        fields.clear();
        break;
      }
      fields.add(k);
    }
  } else if (f !== undefined && f !== null) {
    const list = typeof f === "string" ? [f] : f;
    if (!Array.isArray(list) || !list.every((x) => typeof x === "string"))
      throw new ServiceNodesParamsError("Invalid value for fields: expected a list of strings");
    for (const x of list) fields.add(x);
    if (fields.size === 1 && fields.has("all")) fields.clear();
  }
  const active = params.active_only;
  if (active !== undefined && active !== null && typeof active !== "boolean")
    throw new ServiceNodesParamsError("Invalid value for active_only: expected boolean");
  const limit = params.limit;
  if (limit !== undefined && limit !== null && !(typeof limit === "number" && Number.isSafeInteger(limit)))
    throw new ServiceNodesParamsError("Invalid value for limit: expected integer");
  const pks = params.service_node_pubkeys;
  let pubkeys: string[] = [];
  if (pks !== undefined && pks !== null) {
    const list = typeof pks === "string" ? [pks] : pks;
    if (!Array.isArray(list) || !list.every((x) => typeof x === "string" && /^[0-9a-fA-F]{64}$/.test(x)))
      throw new ServiceNodesParamsError("Invalid value for service_node_pubkeys: expected hex pubkeys");
    pubkeys = list.map((x: string) => x.toLowerCase());
  }
  return { fields, activeOnly: active === true, limit: (limit as number | undefined) ?? 0, pubkeys };
}

/** oxend's `requested()`: every field when none are named; `all` minus `-name`; else named only. */
export function isFieldRequested(fields: ReadonlySet<string>, key: string): boolean {
  if (fields.size === 0) return true;
  if (fields.has("all")) return !fields.has(`-${key}`);
  return fields.has(key);
}

/** Uniform random integer in [min, max] (crypto-grade: the subset a seed hands out is not guessable). */
export function secureRandomInt(min: number, max: number): number {
  const span = max - min + 1;
  const limit = Math.floor(0x1_0000_0000 / span) * span;
  const buf = new Uint32Array(1);
  for (;;) {
    globalThis.crypto.getRandomValues(buf);
    if (buf[0]! < limit) return min + (buf[0]! % span);
  }
}

/** oxend's selection: `limit` random nodes in random order, or a shuffle of all, or all as listed. */
function select<T>(items: T[], limit: number, randomInt: (min: number, max: number) => number): T[] {
  const top = items.length - 1;
  const n = limit < 0 || limit > top ? items.length : limit;
  if (limit === 0) return items;
  for (let i = 0; i < n; i++) {
    const j = randomInt(i, top);
    if (i !== j) [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items.slice(0, n);
}

/** One node entry with only the requested fields (swarm_id stays a decimal string: see README). */
export function serviceNodeEntry(node: NodeInfo, fields: ReadonlySet<string>): Record<string, unknown> {
  const all: Record<string, unknown> = {
    active: node.active ?? true,
    public_ip: node.public_ip,
    pubkey_ed25519: node.pubkey_ed25519,
    pubkey_x25519: node.pubkey_x25519,
    service_node_pubkey: node.service_node_pubkey ?? node.pubkey_ed25519,
    storage_lmq_port: node.storage_lmq_port,
    storage_port: node.storage_port,
    swarm: BigInt(node.swarm_id).toString(16),
    swarm_id: node.swarm_id,
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) if (v !== undefined && isFieldRequested(fields, k)) out[k] = v;
  return out;
}

/**
 * The GET_SERVICE_NODES result object (what JSON-RPC puts under `result`, and oxenss under
 * `oxend_request`'s `result`). Keys are in sorted order, as oxend's JSON library writes them.
 */
export function serviceNodesResult(
  query: ServiceNodesQuery,
  state: ServiceNodesState,
  randomInt: (min: number, max: number) => number = secureRandomInt,
): Record<string, unknown> {
  let nodes = [...state.nodes];
  if (query.pubkeys.length > 0) {
    const wanted = new Set(query.pubkeys);
    nodes = nodes.filter((n) => wanted.has(n.service_node_pubkey ?? n.pubkey_ed25519));
  }
  if (query.activeOnly) nodes = nodes.filter((n) => n.active !== false);
  const states = select(nodes, query.limit, randomInt).map((n) => serviceNodeEntry(n, query.fields));
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (isFieldRequested(query.fields, k)) out[k] = v;
  };
  put("hardfork", state.hardfork[0]);
  put("height", state.height);
  out.service_node_states = states;
  put("snode_revision", state.hardfork[1]);
  out.status = "OK";
  // The registry follows the chain head it reports: nothing left to sync.
  put("target_height", state.height);
  return out;
}

/** A JSON-RPC 2.0 answer (oxend answers errors with HTTP 200 too). */
export type JsonRpcAnswer =
  | { id: unknown; jsonrpc: "2.0"; result: unknown }
  | { error: { code: number; data?: string; message: string }; id: unknown; jsonrpc: "2.0" };

const rpcError = (id: unknown, code: number, message: string, data?: string): JsonRpcAnswer => ({
  error: data === undefined ? { code, message } : { code, data, message },
  id,
  jsonrpc: "2.0",
});

/**
 * Answers a `POST /json_rpc` body as oxend's http_server does for the methods this network
 * serves (GET_SERVICE_NODES): -32700 "Parse error" (id null) for bad JSON, -32600 "Invalid
 * Request" without a string `method`, -32601 "Method not found", -32602 "Invalid params" with
 * `data` "Unable to parse request: …"; otherwise `{id, jsonrpc, result}`.
 */
export function answerServiceNodesJsonRpc(
  text: string,
  state: () => ServiceNodesState,
  randomInt?: (min: number, max: number) => number,
): JsonRpcAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return rpcError(null, -32700, "Parse error");
  }
  if (!isObject(body)) return rpcError(null, -32600, "Invalid Request");
  const id = body.id ?? null;
  if (typeof body.method !== "string") return rpcError(id, -32600, "Invalid Request");
  if (!(SERVICE_NODE_METHODS as readonly string[]).includes(body.method))
    return rpcError(id, -32601, "Method not found");
  let query: ServiceNodesQuery;
  try {
    query = parseServiceNodesParams(body.params);
  } catch (err) {
    if (!(err instanceof ServiceNodesParamsError)) throw err;
    return rpcError(
      id,
      -32602,
      "Invalid params",
      `Unable to parse request: Failed to parse request parameters: ${err.message}`,
    );
  }
  return { id, jsonrpc: "2.0", result: serviceNodesResult(query, state(), randomInt) };
}
