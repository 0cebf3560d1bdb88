// The final hop of an onion request: this node runs the storage RPC the layer carries (classic
// JSON or v4 request) and encrypts the answer for the client.
import { utf8Encode } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import { type DecryptedLayerAction, decodeV4Request, encodeV4Response } from "@session/protocol/onion";
import { STORAGE_RPC_PATH } from "./limits.ts";
import type { OnionDeps } from "./process.ts";
import { messageOf, type OnionReply, type Seal, wrappedReply } from "./reply.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** JSON text of a storage RPC answer body (strings stay as text). */
function bodyBytes(body: unknown): Uint8Array {
  return utf8Encode(typeof body === "string" ? body : JSON.stringify(body));
}

async function runStorageRpc(deps: OnionDeps, text: Uint8Array): Promise<{ status: number; body: unknown }> {
  let json: unknown;
  try {
    json = JSON.parse(strictUtf8.decode(text));
  } catch {
    // oxenss process_client_req(string_view): 400 "invalid json".
    return { status: 400, body: "invalid json" };
  }
  try {
    return await deps.storageRpc(json);
  } catch (err) {
    if (err instanceof ProtocolError) return { status: err.status, body: err.message };
    deps.logger?.error({ err: messageOf(err) }, "onion: storage rpc failed");
    return { status: 500, body: "request failed" };
  }
}

/** Answers a layer addressed to this node, encrypted with `seal`. */
export async function finalHop(
  deps: OnionDeps,
  seal: Seal,
  action: Extract<DecryptedLayerAction, { kind: "final" }>,
): Promise<OnionReply> {
  const payload = action.body;
  // A bencoded list is a v4 request (`l<json {method, endpoint}><body>e`); anything else is the
  // classic JSON body answered as {"status","body"} (base64 unless the routing said otherwise).
  if (payload[0] === 0x6c) return finalHopV4(deps, seal, payload);
  const res = await runStorageRpc(deps, payload);
  const base64 = action.base64;
  const body = wrappedReply(seal, res.status, res.body, { embedJson: action.json, base64 });
  return {
    status: 200,
    body,
    contentType: base64 ? "text/plain; charset=utf-8" : "application/octet-stream",
    outcome: "final",
  };
}

async function finalHopV4(deps: OnionDeps, seal: Seal, payload: Uint8Array): Promise<OnionReply> {
  let res: { status: number; body: unknown };
  try {
    const req = decodeV4Request(payload);
    if (req.info.endpoint !== STORAGE_RPC_PATH) {
      res = { status: 404, body: `${req.info.endpoint} not found` };
    } else if (req.info.method.toUpperCase() !== "POST") {
      res = { status: 405, body: `${req.info.method} not allowed` };
    } else {
      res = await runStorageRpc(deps, req.body ?? new Uint8Array(0));
    }
  } catch (err) {
    res = { status: 400, body: `invalid v4 request: ${messageOf(err)}` };
  }
  const contentType = typeof res.body === "string" ? "text/plain; charset=utf-8" : "application/json";
  const v4 = encodeV4Response(
    { code: res.status, headers: { "content-type": contentType } },
    bodyBytes(res.body),
  );
  return { status: 200, body: seal(v4), contentType: "application/octet-stream", outcome: "final" };
}
