import { z } from "zod";
import { type BencodeValue, bdecode, bencode, isBencodeDict } from "../bencode.ts";
import { fromZodError, ProtocolError } from "../errors.ts";
import {
  type EncType,
  isOnionUrlTargetAllowed,
  ONION_MAX_HOPS,
  parseEncType,
  type RelayToServer,
} from "./routing.ts";

/*
 * What one node sends the next when relaying an onion request, and what the last node answers
 * (oxenss server/omq.cpp encode_onion_data/decode_onion_data, rpc/request_handler.cpp
 * wrap_proxy_response and process_onion_req).
 */

/** A node-to-node relay: the still-encrypted blob plus how the receiver decrypts it. */
export interface RelayRequest {
  /** Ciphertext for the receiving node. */
  data: Uint8Array;
  encType: EncType;
  /** 32-byte X25519 ephemeral key the blob was encrypted with. */
  ephemeralKey: Uint8Array;
  /** 1-based hop count of the receiving node; over ONION_MAX_HOPS is refused. */
  hopNo: number;
}

/** bencoded dict { data, enc_type, ephemeral_key (raw 32 bytes), hop_no }. */
export function encodeRelayRequest(r: RelayRequest): Uint8Array {
  if (r.ephemeralKey.length !== 32)
    throw new ProtocolError("ONION_BAD_LAYER", "ephemeral key must be 32 bytes");
  return bencode({ data: r.data, enc_type: r.encType, ephemeral_key: r.ephemeralKey, hop_no: r.hopNo });
}

const text = new TextDecoder("utf-8", { fatal: true });

/** Decodes a relay request; missing enc_type means aes-gcm, hop_no below 1 counts as 1. */
export function decodeRelayRequest(bytes: Uint8Array): RelayRequest {
  const v: BencodeValue = bdecode(bytes, 2);
  if (!isBencodeDict(v)) throw new ProtocolError("ONION_BAD_LAYER", "relay request must be a dict");
  const data = v.data;
  if (!(data instanceof Uint8Array))
    throw new ProtocolError("ONION_BAD_LAYER", "required data payload not found");
  const ek = v.ephemeral_key;
  if (!(ek instanceof Uint8Array) || ek.length !== 32) {
    throw new ProtocolError("ONION_BAD_LAYER", "ephemeral key not found");
  }
  let encType: EncType = "aes-gcm";
  if (v.enc_type !== undefined) {
    if (!(v.enc_type instanceof Uint8Array))
      throw new ProtocolError("ONION_BAD_LAYER", "enc_type must be a string");
    let s: string;
    try {
      s = text.decode(v.enc_type);
    } catch {
      throw new ProtocolError("ONION_BAD_LAYER", "enc_type must be UTF-8");
    }
    encType = parseEncType(s);
  }
  let hopNo = 1;
  if (v.hop_no !== undefined) {
    if (typeof v.hop_no !== "number") throw new ProtocolError("ONION_BAD_LAYER", "hop_no must be an integer");
    hopNo = Math.max(1, v.hop_no);
  }
  return { data, encType, ephemeralKey: ek, hopNo };
}

/** oxenss refuses a request whose hop number exceeds 15 (400 "onion request max path length exceeded"). */
export function assertHopLimit(hopNo: number): void {
  if (hopNo > ONION_MAX_HOPS)
    throw new ProtocolError("ONION_HOP_LIMIT", "onion request max path length exceeded");
}

/**
 * The plaintext a final-hop node encrypts back to the client: `{"status": code, "body": …}`.
 * JSON bodies are embedded as values when the request's routing said `"json": true`, and as a
 * JSON-encoded string otherwise (the backwards-compatible default); text bodies are strings.
 * The ciphertext is then base64-encoded unless the routing said `"base64": false`.
 */
export function encodeFinalHopResponse(
  status: number,
  body: unknown,
  opts: { embedJson?: boolean } = {},
): string {
  const value = typeof body === "string" ? body : opts.embedJson ? body : JSON.stringify(body);
  return JSON.stringify({ status, body: value });
}

export const finalHopResponseSchema = z.looseObject({ status: z.number().int(), body: z.unknown() });

/** Client side: parses the decrypted final-hop plaintext; a string body that is JSON is parsed too. */
export function decodeFinalHopResponse(plaintext: string): { status: number; body: unknown } {
  let outer: unknown;
  try {
    outer = JSON.parse(plaintext);
  } catch {
    throw new ProtocolError("BAD_GATEWAY", "onion response is not JSON");
  }
  const r = finalHopResponseSchema.safeParse(outer);
  if (!r.success) throw fromZodError(r.error, "BAD_GATEWAY");
  let body = r.data.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // plain text body: keep as is
    }
  }
  return { status: r.data.status, body };
}

/**
 * URL a node POSTs the decrypted layer to when relaying to an HTTP server: protocol://host,
 * ":port" only when not the protocol default, then the target (with a "/" added if missing).
 * Throws ONION_TARGET_NOT_ALLOWED for targets oxenss refuses.
 */
export function onionServerUrl(route: Pick<RelayToServer, "protocol" | "host" | "port" | "target">): string {
  if (!isOnionUrlTargetAllowed(route.target))
    throw new ProtocolError("ONION_TARGET_NOT_ALLOWED", "Invalid url");
  const defaultPort = route.protocol === "https" ? 443 : 80;
  const port = route.port !== defaultPort ? `:${route.port}` : "";
  const slash = route.target.startsWith("/") ? "" : "/";
  return `${route.protocol}://${route.host}${port}${slash}${route.target}`;
}
