import { ProtocolError } from "../errors.ts";

/** Default cap on one onion layer; the storage server refuses HTTP bodies above 10 MiB. */
export const ONION_MAX_LAYER_SIZE = 10 * 1024 * 1024;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

export interface OnionLayer {
  /** The N bytes after the length prefix: ciphertext for the next hop, or the final payload. */
  payload: Uint8Array;
  /** The routing object that follows (parsed JSON). */
  json: unknown;
}

/**
 * One onion layer: `N` (u32 little-endian) ‖ N bytes ‖ UTF-8 JSON (oxenss onion_processing.cpp
 * `parse_combined_payload`; libsession onionreq/builder.cpp).
 */
export function encodeOnionLayer(payload: Uint8Array, json: unknown): Uint8Array {
  if (payload.length > 0xffffffff)
    throw new ProtocolError("ONION_BAD_LAYER", "payload too large for u32 length");
  const text = JSON.stringify(json);
  if (text === undefined) throw new ProtocolError("ONION_BAD_LAYER", "routing info is not JSON-serialisable");
  const jsonBytes = enc.encode(text);
  const out = new Uint8Array(4 + payload.length + jsonBytes.length);
  new DataView(out.buffer).setUint32(0, payload.length, true);
  out.set(payload, 4);
  out.set(jsonBytes, 4 + payload.length);
  return out;
}

/** Splits a layer; ONION_BAD_LAYER if truncated, oversized, or the tail is not a JSON object. */
export function decodeOnionLayer(bytes: Uint8Array, maxSize = ONION_MAX_LAYER_SIZE): OnionLayer {
  if (bytes.length > maxSize) throw new ProtocolError("PAYLOAD_TOO_LARGE", "onion request data too big");
  if (bytes.length < 4) throw new ProtocolError("ONION_BAD_LAYER", "onion request data too small");
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (bytes.length - 4 < n) {
    throw new ProtocolError(
      "ONION_BAD_LAYER",
      `Unexpected payload size ${bytes.length - 4}, expected >= ${n}`,
    );
  }
  const payload = bytes.subarray(4, 4 + n);
  let json: unknown;
  try {
    json = JSON.parse(strictUtf8.decode(bytes.subarray(4 + n)));
  } catch (cause) {
    throw new ProtocolError("ONION_BAD_LAYER", "Invalid json", undefined, { cause });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ProtocolError("ONION_BAD_LAYER", "onion routing info must be a JSON object");
  }
  return { payload, json };
}
