import { fromHex, toBase64, utf8Encode } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import {
  type DecryptedLayerAction,
  decodeOnionLayer,
  decodeRelayRequest,
  decodeV4Request,
  type EncType,
  encodeFinalHopResponse,
  encodeRelayRequest,
  encodeV4Response,
  interpretDecryptedLayer,
  parseEncType,
} from "@session/protocol/onion";
import type { Logger } from "pino";
import { TurnBatch } from "../turn-batch.ts";
import type { HopCipher } from "./hop-cipher.ts";
import { isTimeout, type NodePost, postWithTimeout } from "./http.ts";
import { DEFAULT_ONION_LIMITS, ONION_RELAY_PATH, type OnionLimits, STORAGE_RPC_PATH } from "./limits.ts";
import { type OnionReply, plainReply } from "./reply.ts";
import { checkDestination, isDestinationRefused, type OnionServerPolicy } from "./server-destination.ts";

/*
 * Onion request handling at one storage node, following oxen-storage-server
 * (server/https.cpp process_onion_req_v2, rpc/request_handler.cpp process_onion_req,
 * rpc/onion_processing.cpp, server/omq.cpp handle_onion_request):
 *   1. the layer `[N][ciphertext]{ephemeral_key, enc_type, hop_no?}` is read and size-checked;
 *   2. the ciphertext is decrypted with our X25519 key (failure: 400 "Invalid ciphertext");
 *   3. the plaintext is another layer whose JSON says where to go: this node (run the storage
 *      RPC and encrypt the answer back), another node (relay the inner ciphertext), or an
 *      HTTP(S) server (POST the whole decrypted layer to its /…/lsrpc and relay the answer).
 * Intermediate hops pass the next hop's status and body back untouched; only the node that
 * decrypted the final layer encrypts, so each reply is readable by the client alone.
 */

/** What onion handling needs from the node; the routes build it from NodeContext. */
export interface OnionDeps {
  cipher: HopCipher;
  /** Our Ed25519 key, lower-case hex: a layer naming it as the next hop is refused. */
  selfEd25519Hex: string;
  /** Base URL (scheme://host:port) of a known node, by lower-case Ed25519 hex. */
  nodeBaseUrl(ed25519Hex: string): string | undefined;
  /** Fetch for node-to-node relays (accepts the nodes' self-signed certificates). */
  nodeFetch: typeof fetch;
  /** Node-to-node relay POST; when set it is used instead of `nodeFetch` (the node's undici agent). */
  nodePost?: NodePost;
  /** POST to HTTP(S) destinations (file server, push server, …): connects only to checked addresses. */
  serverPost: NodePost;
  /** Which addresses and ports final hops may reach (checked before `serverPost` is called). */
  servers: OnionServerPolicy;
  /** Runs one storage RPC request body (`{method, params}`) as arriving through an onion request. */
  storageRpc(body: unknown): Promise<{ status: number; body: unknown }>;
  /** False while the node cannot serve (oxenss: 503 "Snode not ready"). */
  isReady(): boolean;
  limits?: Partial<OnionLimits>;
  logger?: Logger;
}

/** How a layer addressed to us is decrypted, and how far along the path it is. */
export interface OnionHopInput {
  ciphertext: Uint8Array;
  ephemeralKey: Uint8Array;
  encType: EncType;
  hopNo: number;
}

/** Encrypts a reply to the client whose layer this node opened. */
type Seal = (plaintext: Uint8Array) => Uint8Array;

const HEX64 = /^[0-9a-fA-F]{64}$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function limitsOf(deps: OnionDeps): OnionLimits {
  return { ...DEFAULT_ONION_LIMITS, ...deps.limits };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What a log line may say about an error here: a short code, never its message (messages can
 * carry client-chosen text such as a host name or an enc_type).
 */
function errorCodeOf(err: unknown): string {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{0,39}$/.test(code)) return code;
  }
  return err instanceof Error && /^[A-Za-z]{1,40}$/.test(err.name) ? err.name : "unknown";
}

/**
 * A request from a client (or a previous hop speaking the client format): the outer layer's
 * JSON carries `ephemeral_key` (hex), `enc_type` (default aes-gcm) and an optional starting
 * `hop_no` (oxenss lets clients start above 0 to hide their position).
 */
export function parseClientOnionBody(body: Uint8Array, deps: OnionDeps): OnionHopInput | OnionReply {
  const limits = limitsOf(deps);
  try {
    const layer = decodeOnionLayer(body, limits.maxBodyBytes);
    const json = layer.json as Record<string, unknown>;
    const ek = json.ephemeral_key;
    if (typeof ek !== "string" || !HEX64.test(ek)) throw new Error("invalid ephemeral_key");
    let encType: EncType = "aes-gcm";
    if (json.enc_type !== undefined) {
      if (typeof json.enc_type !== "string") throw new Error("invalid enc_type");
      encType = parseEncType(json.enc_type);
    }
    let hopNo = 0;
    if (json.hop_no !== undefined) {
      if (typeof json.hop_no !== "number" || !Number.isSafeInteger(json.hop_no)) {
        throw new Error("invalid hop_no");
      }
      hopNo = Math.max(0, json.hop_no);
    }
    return { ciphertext: layer.payload, ephemeralKey: fromHex(ek), encType, hopNo };
  } catch (err) {
    if (err instanceof ProtocolError && err.code === "PAYLOAD_TOO_LARGE") {
      return plainReply(413, "PAYLOAD_TOO_LARGE", "onion request data too big");
    }
    return plainReply(400, "ONION_BAD_LAYER", `Error parsing onion request: ${messageOf(err)}`);
  }
}

/** A relay from the previous node: the bencoded dict of oxenss encode_onion_data. */
export function parseRelayedOnionBody(body: Uint8Array): OnionHopInput | OnionReply {
  try {
    const r = decodeRelayRequest(body);
    return { ciphertext: r.data, ephemeralKey: r.ephemeralKey, encType: r.encType, hopNo: r.hopNo };
  } catch (err) {
    return plainReply(400, "ONION_BAD_LAYER", `Invalid internal onion request: ${messageOf(err)}`);
  }
}

/** Encrypts a reply for the client and frames it as oxenss wrap_proxy_response does. */
function wrappedReply(
  seal: Seal,
  status: number,
  body: unknown,
  opts: { embedJson?: boolean; base64?: boolean } = {},
): Uint8Array | string {
  const plaintext = utf8Encode(encodeFinalHopResponse(status, body, { embedJson: opts.embedJson ?? false }));
  const sealed = seal(plaintext);
  return opts.base64 === false ? sealed : toBase64(sealed);
}

/** The layer opens (X25519 + AEAD) of one event-loop turn run together (TurnBatch says why). */
const openBatch = new TurnBatch();

/** Decrypts one layer and acts on its routing; never throws. */
export async function processOnionHop(deps: OnionDeps, input: OnionHopInput): Promise<OnionReply> {
  const limits = limitsOf(deps);
  if (input.hopNo > limits.maxHops) {
    return plainReply(400, "ONION_HOP_LIMIT", "onion request max path length exceeded");
  }
  if (!deps.isReady()) {
    return plainReply(503, "SERVICE_UNAVAILABLE", `Snode not ready: ${deps.selfEd25519Hex}`);
  }
  let plaintext: Uint8Array;
  let seal: Seal;
  try {
    const open = () => deps.cipher.open(input.encType, input.ciphertext, input.ephemeralKey);
    ({ plaintext, seal } = await openBatch.run(open));
  } catch {
    // Nothing decrypted, so nothing is forwarded and there is no key to answer with.
    return plainReply(400, "ONION_DECRYPT_FAILED", "Invalid ciphertext");
  }
  let action: DecryptedLayerAction;
  try {
    action = interpretDecryptedLayer(plaintext, limits.maxBodyBytes);
  } catch (err) {
    // The layer did decrypt, so oxenss answers these encrypted (wrap_proxy_response).
    const disallowed = err instanceof ProtocolError && err.code === "ONION_TARGET_NOT_ALLOWED";
    return disallowed ? invalidUrl(seal) : invalidJson(seal);
  }
  switch (action.kind) {
    case "final":
      return finalHop(deps, seal, action);
    case "node":
      return relayToNode(deps, input, action);
    case "server":
      return relayToServer(deps, seal, action);
  }
}

async function relayToNode(
  deps: OnionDeps,
  input: OnionHopInput,
  action: Extract<DecryptedLayerAction, { kind: "node" }>,
): Promise<OnionReply> {
  const limits = limitsOf(deps);
  const route = action.next;
  const dest = route.destination.toLowerCase();
  if (dest === deps.selfEd25519Hex) {
    return plainReply(400, "ONION_HOP_LIMIT", "onion request loops back to this node");
  }
  const base = deps.nodeBaseUrl(dest);
  if (base === undefined) return plainReply(502, "BAD_GATEWAY", `Next node not found: ${dest}`);
  if (input.hopNo + 1 > limits.maxHops) {
    return plainReply(400, "ONION_HOP_LIMIT", "onion request max path length exceeded");
  }
  const relayBody = encodeRelayRequest({
    data: action.blob,
    encType: route.enc_type,
    ephemeralKey: fromHex(route.ephemeral_key),
    hopNo: input.hopNo + 1,
  });
  return relay(
    deps,
    deps.nodePost ?? viaFetch(deps.nodeFetch),
    `${base}${ONION_RELAY_PATH}`,
    relayBody,
    limits.nodeTimeoutMs,
    "node",
    () => `Next node unreachable: ${dest}`,
  );
}

const viaFetch =
  (fetchFn: typeof fetch): NodePost =>
  (url, body, opts) =>
    postWithTimeout(fetchFn, url, body, opts);

/** POSTs to the next hop and passes its answer back; timeouts → 504, failures → 502. */
async function relay(
  deps: OnionDeps,
  post: NodePost,
  url: string,
  body: Uint8Array,
  timeoutMs: number,
  outcome: "node" | "server",
  failure: (err: unknown) => string,
): Promise<OnionReply> {
  try {
    const res = await post(url, body, {
      timeoutMs,
      maxReplyBytes: limitsOf(deps).maxReplyBytes,
    });
    return { status: res.status, body: res.body, contentType: res.contentType, outcome };
  } catch (err) {
    if (isTimeout(err)) return plainReply(504, "GATEWAY_TIMEOUT", "Request time out");
    deps.logger?.debug({ err: errorCodeOf(err) }, `onion: ${outcome} unreachable`);
    return plainReply(502, "BAD_GATEWAY", failure(err));
  }
}

/** The layer decrypted, so refusals are answered encrypted, as oxenss wrap_proxy_response does. */
function encryptedRefusal(seal: Seal, body: string, code: OnionReply["code"]): OnionReply {
  return {
    status: 200,
    body: wrappedReply(seal, 400, body),
    contentType: "text/plain; charset=utf-8",
    outcome: "rejected",
    code,
  };
}
const invalidUrl = (seal: Seal) => encryptedRefusal(seal, "Invalid url", "ONION_TARGET_NOT_ALLOWED");
const invalidJson = (seal: Seal) => encryptedRefusal(seal, "Invalid json", "ONION_BAD_LAYER");

async function relayToServer(
  deps: OnionDeps,
  seal: Seal,
  action: Extract<DecryptedLayerAction, { kind: "server" }>,
): Promise<OnionReply> {
  // Port and IP literal first; a host name is checked when it resolves (serverPost's lookup).
  try {
    checkDestination(action.destination, deps.servers);
  } catch {
    return invalidUrl(seal);
  }
  // The whole decrypted layer goes on: the server reads [N][ciphertext]{…ephemeral_key…} itself.
  let refused = false;
  const post: NodePost = (url, body, opts) =>
    deps.serverPost(url, body, opts).catch((err: unknown) => {
      refused = isDestinationRefused(err);
      throw err;
    });
  const reply = await relay(
    deps,
    post,
    action.destination.url,
    action.body,
    limitsOf(deps).serverTimeoutMs,
    "server",
    (err) => `Onion proxied request failed: ${messageOf(err)}`,
  );
  return refused ? invalidUrl(seal) : reply;
}

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

async function finalHop(
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
