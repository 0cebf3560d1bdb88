import { fromBase64, fromHex, toBase64 } from "@session/crypto";
import type { ErrorCode } from "@session/protocol";
import { isBase64, type OxendRequestParams } from "@session/protocol/rpc";
import {
  parseServiceNodesParams,
  ServiceNodesParamsError,
  type ServiceNodesState,
  serviceNodesResult,
} from "@session/protocol/swarm";

/*
 * `oxend_request`: oxenss relays a whitelisted call to its oxend over OxenMQ and answers
 * `{result: <oxend's JSON>, t, hf}` on success, or 400 with oxend's error text (or "Unknown oxend
 * error" when oxend gave none, e.g. it did not answer). Here the registry stands in for oxend:
 * `get_service_nodes` is answered from it, `ons_resolve` by the node's name resolver. Error texts
 * follow oxend's OMQ replies (omq_server.cpp: "Unable to parse request: " + the parse error;
 * rpc_error what() = "RPC error <code>: <message>") and oxenss's relay (request_handler.cpp).
 */

/** Session name records (oxend's ONS_RESOLVE), e.g. read from the name registry contract. */
export interface NameResolver {
  /**
   * The Session ID record of a name: `nameHash` is the padded base64 of BLAKE2b-256 of the
   * lower-cased name. Answers oxend's fields as hex (`encrypted_value`, and `nonce` for the
   * XChaCha20 form), or null when the name has no record.
   */
  resolve(nameHashBase64: string): Promise<{ encrypted_value: string; nonce?: string } | null>;
}

export interface OxendDeps {
  serviceNodes(): ServiceNodesState;
  names?: NameResolver | undefined;
}

export type OxendAnswer =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; status: 400; text: string; code: ErrorCode };

const failed = (text: string, code: ErrorCode = "BAD_REQUEST"): OxendAnswer => ({
  ok: false,
  status: 400,
  text,
  code,
});
const parseFailure = (what: string) =>
  failed(`Unable to parse request: Failed to parse request parameters: ${what}`);
/** ons_resolve's rpc_error (ERROR_WRONG_PARAM = -1). */
const wrongParam = (message: string) => failed(`RPC error -1: ${message}`);

const MAPPING_SESSION = 0;
/** wallet (1) and lokinet (2) records exist in oxend; this network keeps Session names only. */
const MAPPING_OTHER_KNOWN = new Set([1, 2]);
/** lokinet_2years…_10years are only valid when buying, not as a lookup type. */
const MAPPING_COUNT = 6;

/** oxend's name_hash_input_to_base64: 32 raw bytes, 64 hex digits, or base64 of 32 bytes. */
function nameHashToBase64(input: string): string | null {
  if (/^[0-9a-fA-F]{64}$/.test(input)) return toBase64(fromHex(input));
  if (input.length >= 43 && input.length <= 44 && isBase64(input)) {
    try {
      const bytes = fromBase64(input);
      return bytes.length === 32 ? toBase64(bytes) : null;
    } catch {
      return null;
    }
  }
  return null;
}

async function onsResolve(
  params: Record<string, unknown> | undefined,
  deps: OxendDeps,
): Promise<OxendAnswer> {
  const p = params ?? {};
  if (p.name_hash === undefined || p.name_hash === null)
    return parseFailure("Required key 'name_hash' not found");
  if (typeof p.name_hash !== "string") return parseFailure("Invalid value given for 'name_hash'");
  if (p.type === undefined || p.type === null) return parseFailure("Required key 'type' not found");
  if (typeof p.type !== "number" || !Number.isInteger(p.type))
    return parseFailure("Invalid value given for 'type'");
  if (p.type < 0 || p.type >= MAPPING_COUNT)
    return wrongParam("Unable to resolve ONS address: 'type' parameter not specified");
  const hash = nameHashToBase64(p.name_hash);
  if (!hash) return wrongParam(`Unable to resolve ONS address: invalid 'name_hash' value '${p.name_hash}'`);
  if (p.type !== MAPPING_SESSION && !MAPPING_OTHER_KNOWN.has(p.type))
    return wrongParam(`Invalid lokinet type '${p.type}'`);
  // oxenss with no oxend to ask: the relay fails without a text of oxend's.
  if (!deps.names) return failed("Unknown oxend error", "SERVICE_UNAVAILABLE");
  if (p.type !== MAPPING_SESSION) return { ok: true, result: {} };
  let record: Awaited<ReturnType<NameResolver["resolve"]>>;
  try {
    record = await deps.names.resolve(hash);
  } catch {
    return failed("Unknown oxend error", "SERVICE_UNAVAILABLE");
  }
  // oxend answers {} for a name without a record, and `nonce` only for the XChaCha20 form.
  if (!record) return { ok: true, result: {} };
  const result: Record<string, unknown> = { encrypted_value: record.encrypted_value };
  if (record.nonce !== undefined) result.nonce = record.nonce;
  return { ok: true, result };
}

/** Runs one (already whitelisted) oxend endpoint. */
export async function oxendRequest(req: OxendRequestParams, deps: OxendDeps): Promise<OxendAnswer> {
  switch (req.endpoint) {
    case "get_service_nodes":
      try {
        return {
          ok: true,
          result: serviceNodesResult(parseServiceNodesParams(req.params), deps.serviceNodes()),
        };
      } catch (err) {
        if (err instanceof ServiceNodesParamsError) return parseFailure(err.message);
        throw err;
      }
    case "ons_resolve":
      return onsResolve(req.params, deps);
  }
}
