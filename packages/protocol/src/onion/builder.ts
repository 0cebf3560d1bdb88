import { toHex } from "@session/crypto";
import { ProtocolError } from "../errors.ts";
import { encodeOnionLayer } from "./layer.ts";
import { type EncType, FINAL_HOP_CONTROL, ONION_MAX_HOPS } from "./routing.ts";

/*
 * Layer construction of an onion request, in the order libsession's onionreq/builder.cpp uses.
 * Encryption is supplied by the caller (hop encryption lives in @session/crypto); this module
 * only decides what gets encrypted for whom and how each layer is framed.
 */

/** A path node: Ed25519 key (routing) and X25519 key (encryption). */
export interface OnionHop {
  ed25519: Uint8Array;
  x25519: Uint8Array;
}

export type OnionDestination =
  | ({ kind: "node" } & OnionHop)
  | {
      kind: "server";
      host: string;
      target: string;
      protocol: "http" | "https";
      /** Defaults to 443 for https, 80 for http. */
      port?: number;
      /** The server's onion X25519 key. */
      x25519: Uint8Array;
    };

/** Encrypts `plaintext` for `recipientX25519` under a fresh ephemeral X25519 keypair. */
export type LayerEncryptor<K> = (
  plaintext: Uint8Array,
  recipientX25519: Uint8Array,
  encType: EncType,
) => { ciphertext: Uint8Array; ephemeralPublicKey: Uint8Array; keys: K };

export interface BuiltOnionRequest<K> {
  /** Body to POST to the first hop's /onion_req/v2. */
  request: Uint8Array;
  /** The encryptor's keys for the destination layer: needed to decrypt the reply. */
  destinationKeys: K;
}

/** JSON text with keys in sorted order, as nlohmann::json (std::map) dumps objects. */
function sortedJson(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Builds the layered request:
 *  - destination node: it receives `[N][payload]{"headers":""}`; the last path node is told
 *    `{destination, ephemeral_key, enc_type}`;
 *  - destination server: it receives the payload encrypted directly; the last path node is told
 *    `{host, target, method: "POST", protocol, port, ephemeral_key, enc_type}`;
 *  - each path node i receives `[N][blob for i+1]{routing to i+1}`;
 *  - the first hop gets `[N][blob]{ephemeral_key, enc_type}`.
 */
export function buildOnionRequest<K>(
  opts: { payload: Uint8Array; destination: OnionDestination; hops: readonly OnionHop[]; encType: EncType },
  encrypt: LayerEncryptor<K>,
): BuiltOnionRequest<K> {
  const { payload, destination, hops, encType } = opts;
  if (hops.length === 0) throw new ProtocolError("BAD_REQUEST", "an onion path needs at least one hop");
  if (hops.length + 1 > ONION_MAX_HOPS) throw new ProtocolError("ONION_HOP_LIMIT", "onion path too long");

  let sealed: ReturnType<LayerEncryptor<K>>;
  let route: Record<string, unknown>;
  if (destination.kind === "server") {
    sealed = encrypt(payload, destination.x25519, encType);
    route = {
      host: destination.host,
      target: destination.target,
      method: "POST",
      protocol: destination.protocol,
      port: destination.port ?? (destination.protocol === "https" ? 443 : 80),
      ephemeral_key: toHex(sealed.ephemeralPublicKey),
      enc_type: encType,
    };
  } else {
    sealed = encrypt(encodeOnionLayer(payload, FINAL_HOP_CONTROL), destination.x25519, encType);
    route = {
      destination: toHex(destination.ed25519),
      ephemeral_key: toHex(sealed.ephemeralPublicKey),
      enc_type: encType,
    };
  }
  const destinationKeys = sealed.keys;
  let blob = sealed.ciphertext;
  let ephemeral = sealed.ephemeralPublicKey;

  for (let i = hops.length - 1; i >= 0; i--) {
    const routing =
      i === hops.length - 1
        ? route
        : { destination: toHex(hops[i + 1]!.ed25519), ephemeral_key: toHex(ephemeral), enc_type: encType };
    const layer = encrypt(encodeOnionLayer(blob, sortedJson(routing)), hops[i]!.x25519, encType);
    blob = layer.ciphertext;
    ephemeral = layer.ephemeralPublicKey;
  }
  const request = encodeOnionLayer(blob, sortedJson({ ephemeral_key: toHex(ephemeral), enc_type: encType }));
  return { request, destinationKeys };
}
