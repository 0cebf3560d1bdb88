import { fromHex } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import {
  type DecryptedLayerAction,
  decodeOnionLayer,
  decodeRelayRequest,
  type EncType,
  interpretDecryptedLayer,
  parseEncType,
} from "@session/protocol/onion";
import type { Logger } from "pino";
import { finalHop } from "./final-hop.ts";
import type { HopCipher } from "./hop-cipher.ts";
import { relayToNode, relayToServer } from "./hop-relay.ts";
import type { NodePost } from "./http.ts";
import { type OnionLimits, onionLimits } from "./limits.ts";
import { invalidJson, invalidUrl, messageOf, type OnionReply, plainReply, type Seal } from "./reply.ts";
import type { OnionServerPolicy } from "./server-destination.ts";
import { type OnionOpenThread, TurnOpens } from "./turn-opens.ts";

/*
 * Onion request handling at one storage node, following oxen-storage-server
 * (server/https.cpp process_onion_req_v2, rpc/request_handler.cpp process_onion_req,
 * rpc/onion_processing.cpp, server/omq.cpp handle_onion_request):
 *   1. the layer `[N][ciphertext]{ephemeral_key, enc_type, hop_no?}` is read and size-checked;
 *   2. the ciphertext is decrypted with our X25519 key (failure: 400 "Invalid ciphertext");
 *   3. the plaintext is another layer whose JSON says where to go: this node (run the storage
 *      RPC and encrypt the answer back), another node (relay the inner ciphertext), or an
 *      HTTP(S) server (POST the whole decrypted layer to its /…/lsrpc and relay the answer).
 *      (final-hop.ts answers the first; hop-relay.ts relays to the other two.)
 * Intermediate hops pass the next hop's status and body back untouched; only the node that
 * decrypted the final layer encrypts, so each reply is readable by the client alone.
 */

/** What onion handling needs from the node; the routes build it from NodeContext. */
export interface OnionDeps {
  cipher: HopCipher;
  /** Computes busy turns' layer X25519 off the event loop (turn-opens.ts); with `cipher`'s key. */
  openThread?: OnionOpenThread;
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

const HEX64 = /^[0-9a-fA-F]{64}$/;

/**
 * A request from a client (or a previous hop speaking the client format): the outer layer's
 * JSON carries `ephemeral_key` (hex), `enc_type` (default aes-gcm) and an optional starting
 * `hop_no` (oxenss lets clients start above 0 to hide their position).
 */
export function parseClientOnionBody(body: Uint8Array, deps: OnionDeps): OnionHopInput | OnionReply {
  const limits = onionLimits(deps.limits);
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

/** The layer opens (X25519 + AEAD) of one event-loop turn, run together (turn-opens.ts). */
const turnOpens = new TurnOpens();

/** Decrypts one layer and acts on its routing; never throws. */
export async function processOnionHop(deps: OnionDeps, input: OnionHopInput): Promise<OnionReply> {
  const limits = onionLimits(deps.limits);
  if (input.hopNo > limits.maxHops) {
    return plainReply(400, "ONION_HOP_LIMIT", "onion request max path length exceeded");
  }
  if (!deps.isReady()) {
    return plainReply(503, "SERVICE_UNAVAILABLE", `Snode not ready: ${deps.selfEd25519Hex}`);
  }
  let plaintext: Uint8Array;
  let seal: Seal;
  try {
    ({ plaintext, seal } = await turnOpens.open(deps.cipher, input, deps.openThread));
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
