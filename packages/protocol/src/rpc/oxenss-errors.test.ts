import { toBase64, toHex } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { ed25519ToX25519, newEd25519Key, nodeVerifier } from "../../test/helpers/ed25519.ts";
import { errOf } from "../../test/helpers/errors.ts";
import { authRequirementFor, verifyAuth } from "./auth.ts";
import { parseRpcRequest } from "./request.ts";
import { signRpcParams } from "./sign.ts";
import { parseSubrequest, type RpcSubrequestMethod } from "./subrequest.ts";

/*
 * The error texts oxenss answers (the plain-text body of a 4xx), from
 * session-foundation/session-storage-server oxenss/rpc/client_rpc_endpoints.cpp (parse_error
 * texts: require(), parse_field(), load_pk(), load_pk_signature(), the per-method loads) and
 * request_handler.cpp (process_client_req: "invalid request: " + parse error, "no method X",
 * "invalid json: no `method` field", and each method's "… signature verification failed").
 */

const PK = `05${"d2".repeat(32)}`;
const SIG = toBase64(new Uint8Array(64).fill(7));
const HASH = "A".repeat(43);
const T = 1_700_000_000_000;

const text = (body: unknown) => errOf(() => parseRpcRequest(body)).message;

describe("storage RPC parse errors read as oxenss's", () => {
  it.each([
    [
      "missing field",
      { method: "delete", params: { pubkey: PK, signature: SIG } },
      "invalid request: Required field 'messages' missing",
    ],
    [
      "missing pubkey",
      { method: "get_expiries", params: { signature: SIG, messages: [HASH], timestamp: T } },
      "invalid request: Required field 'pubkey' missing",
    ],
    [
      "wrong type",
      { method: "retrieve", params: { pubkey: PK, namespace: "x" } },
      "invalid request: Invalid value given for 'namespace': expected 16-bit integer",
    ],
    [
      "out of range",
      { method: "retrieve", params: { pubkey: PK, namespace: 40000 } },
      "invalid request: Invalid value given for 'namespace': value out of range",
    ],
    [
      "seconds, not ms",
      { method: "delete_all", params: { pubkey: PK, signature: SIG, timestamp: 1_700_000 } },
      "invalid request: Invalid timestamp for 'timestamp': timestamp must be in milliseconds",
    ],
    [
      "pubkey not a string",
      { method: "retrieve", params: { pubkey: 5 } },
      "invalid request: Invalid value given for 'pubkey': expected string",
    ],
    [
      "bad pubkey",
      { method: "retrieve", params: { pubkey: "05ab" } },
      "invalid request: Pubkey must be 66 hex digits (33 bytes) long",
    ],
    [
      "get_swarm's own wording",
      { method: "get_swarm", params: { pubkey: "05ab" } },
      "invalid request: Pubkey must be 66 hex digits/33 bytes long",
    ],
    [
      "bad signature",
      { method: "delete_all", params: { pubkey: PK, signature: "abc", timestamp: T } },
      "invalid request: invalid signature: expected base64 encoded Ed25519 signature",
    ],
    [
      "empty list",
      { method: "delete", params: { pubkey: PK, signature: SIG, messages: [] } },
      "invalid request: messages does not contain any message hashes",
    ],
    [
      "bad hash",
      { method: "delete", params: { pubkey: PK, signature: SIG, messages: ["zz"] } },
      "invalid request: invalid message hash: zz",
    ],
    [
      "oxend endpoint",
      { method: "oxend_request", params: { endpoint: "get_info" } },
      "invalid request: Invalid oxend endpoint 'get_info'",
    ],
    [
      "batch method",
      { method: "batch", params: { requests: [{ method: "frob", params: {} }] } },
      'invalid request: Invalid batch subrequest: invalid method "frob"',
    ],
    [
      "ifelse names the branch",
      {
        method: "ifelse",
        params: JSON.parse('{"if": {"height_at_least": 1}, "then": {"method": "frob", "params": {}}}'),
      },
      'invalid request: Invalid ifelse request method "then"',
    ],
    ["unknown method", { method: "frob", params: {} }, "no method frob"],
    ["no method", { params: {} }, "invalid json: no `method` field"],
    ["no params", { method: "info" }, "invalid json: no `params` field"],
  ])("%s", (_what, body, expected) => {
    expect(text(body)).toBe(expected);
  });
});

describe("signature failures name the method as oxenss does", () => {
  const user = newEd25519Key();
  const sessionId = `05${toHex(ed25519ToX25519(user.pub))}`;
  const signer = { sign: user.sign, ed25519PubkeyHex: toHex(user.pub) };
  const other = `05${toHex(ed25519ToX25519(newEd25519Key().pub))}`;
  it.each<[RpcSubrequestMethod, Record<string, unknown>, string]>([
    ["store", { namespace: 2, timestamp: T, ttl: 1e6, data: "AAAA" }, "store signature verification failed"],
    ["retrieve", { namespace: 3, timestamp: T }, "retrieve signature verification failed"],
    ["delete", { messages: [HASH] }, "delete_msgs signature verification failed"],
    ["delete_all", { timestamp: T }, "delete_all signature verification failed"],
    ["delete_before", { before: T }, "delete_before signature verification failed"],
    ["expire", { messages: [HASH], expiry: T }, "expire: signature verification failed"],
    ["expire_all", { expiry: T }, "expire_all signature verification failed"],
    ["get_expiries", { messages: [HASH], timestamp: T }, "get_expiries signature verification failed"],
    [
      "revoke_subaccount",
      { timestamp: T, revoke: toHex(new Uint8Array(36).fill(5)) },
      "revoke_subaccount signature verification failed",
    ],
  ])("%s", (method, params, expected) => {
    const signed = signRpcParams(method, { pubkey: sessionId, ...params }, signer);
    const tampered = { ...signed, pubkey: other };
    const err = errOf(() => verifyAuth(nodeVerifier, authRequirementFor(parseSubrequest(method, tampered))!));
    expect(err.code).toBe("BAD_SIGNATURE");
    expect(err.message).toBe(expected);
  });
});
