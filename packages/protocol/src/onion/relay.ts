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
    } catch (cause) {
      throw new ProtocolError("ONION_BAD_LAYER", "enc_type must be UTF-8", undefined, { cause });
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
  } catch (cause) {
    throw new ProtocolError("BAD_GATEWAY", "onion response is not JSON", undefined, { cause });
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

/** Where a final hop POSTs the decrypted layer: each part parsed on its own, never joined from text. */
export interface OnionServerDestination {
  protocol: "http" | "https";
  /** A DNS name (lower case) or an IP literal (IPv6 without brackets). */
  host: string;
  hostKind: "dns" | "ipv4" | "ipv6";
  port: number;
  /** `/loki/…/lsrpc` or `/oxen/…/lsrpc`: plain segments, no dot segments, query, fragment or escapes. */
  path: string;
  /** protocol://host[:port]path, built from the parts above by the URL parser and checked against them. */
  url: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_CHARS = /^[0-9a-f:.]{2,45}$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A path segment may not start with a dot, so "." and ".." never pass; no "%", "?", "#" or "\\". */
const SERVER_PATH = /^\/(loki|oxen)(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/lsrpc$/;

function refuse(why: string): never {
  throw new ProtocolError("ONION_TARGET_NOT_ALLOWED", `Invalid url: ${why}`);
}

function parseHost(raw: string): { host: string; hostKind: OnionServerDestination["hostKind"] } {
  const h = raw.toLowerCase();
  if (IPV4.test(h)) return { host: h, hostKind: "ipv4" };
  const bare = h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
  if (bare.includes(":")) {
    if (!IPV6_CHARS.test(bare)) refuse("bad IPv6 host");
    return { host: bare, hostKind: "ipv6" };
  }
  if (h.length > 253) refuse("host too long");
  const labels = h.split(".");
  if (!labels.every((l) => DNS_LABEL.test(l))) refuse("bad host name");
  // A name whose last label is numeric is read as an IPv4 number by URL parsers ("2130706433",
  // "127.1", "0x7f.1"): only dotted quads are IP literals here.
  if (!/^[a-z]/.test(labels[labels.length - 1]!) || /^0x/.test(labels[labels.length - 1]!)) {
    refuse("bad host name");
  }
  return { host: h, hostKind: "dns" };
}

/**
 * Parses where a final hop relays to (oxenss process_onion_req, RelayToServerInfo). oxenss joins
 * `protocol://host[:port]` and the target as text and checks only the target's prefix, suffix
 * and "?" (is_onion_url_target_allowed); here the host must be a DNS name or an IP literal, the
 * target a plain `/loki|oxen/…/lsrpc` path (no dot segments, escapes or fragment), and the URL is
 * built by the URL parser from those parts and must read back as exactly them. Throws
 * ONION_TARGET_NOT_ALLOWED otherwise. Which addresses and ports may be reached is the node's call.
 */
export function parseOnionServerDestination(
  route: Pick<RelayToServer, "protocol" | "host" | "port" | "target">,
): OnionServerDestination {
  if (route.protocol !== "http" && route.protocol !== "https") refuse("bad protocol");
  if (!isOnionUrlTargetAllowed(route.target) || !SERVER_PATH.test(route.target)) refuse("target not allowed");
  if (!Number.isInteger(route.port) || route.port < 1 || route.port > 65535) refuse("bad port");
  const { host, hostKind } = parseHost(route.host);
  let url: URL;
  try {
    url = new URL(`${route.protocol}://${hostKind === "ipv6" ? `[${host}]` : host}`);
  } catch {
    refuse("bad host");
  }
  url.port = String(route.port);
  url.pathname = route.target;
  const hostBack = hostKind === "ipv6" ? url.hostname.slice(1, -1) : url.hostname;
  const portBack = url.port === "" ? (route.protocol === "https" ? 443 : 80) : Number(url.port);
  // The IPv6 text may be normalised by the parser; compare names and the IPv4 form exactly.
  if ((hostKind !== "ipv6" && hostBack !== host) || portBack !== route.port)
    refuse("host does not parse back");
  if (url.pathname !== route.target || url.search !== "" || url.hash !== "" || url.username || url.password) {
    refuse("target does not parse back");
  }
  return {
    protocol: route.protocol,
    host: hostKind === "ipv6" ? hostBack : host,
    hostKind,
    port: route.port,
    path: route.target,
    url: url.href,
  };
}

/**
 * URL a node POSTs the decrypted layer to when relaying to an HTTP server (see
 * parseOnionServerDestination). Throws ONION_TARGET_NOT_ALLOWED for targets that are refused.
 */
export function onionServerUrl(route: Pick<RelayToServer, "protocol" | "host" | "port" | "target">): string {
  return parseOnionServerDestination(route).url;
}
