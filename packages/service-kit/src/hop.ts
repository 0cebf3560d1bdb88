import {
  type KeyPair,
  type OnionEncType,
  type OnionReplyKeys,
  type OpenedOnionLayer,
  onionEncryptResponse,
  onionHopServer,
  onionOpenReply,
} from "@session/crypto";
import { ProtocolError } from "@session/protocol";

// Onion hop encryption lives in @session/crypto (onion.ts: libsession onionreq/hop_encryption.cpp,
// both sides). This module is its service edge: every failure to open becomes ProtocolError
// ONION_DECRYPT_FAILED, the answer nodes and servers give.

export type EncType = OnionEncType;
export type X25519Keys = KeyPair;

/** What a server or node does with a layer encrypted to its X25519 key. */
export interface HopServer {
  /** Throws ProtocolError ONION_DECRYPT_FAILED when the ciphertext does not open. */
  open(encType: EncType, ciphertext: Uint8Array, ephemeralKey: Uint8Array): OpenedOnionLayer;
  /**
   * `open` given X25519(our secret key, ephemeralKey) computed elsewhere (a thread): `shared`, or
   * `null` where X25519 refused the key. Same result, same errors; no X25519 here.
   */
  openWithSharedSecret(
    encType: EncType,
    ciphertext: Uint8Array,
    ephemeralKey: Uint8Array,
    shared: Uint8Array | null,
  ): OpenedOnionLayer;
}

/**
 * The receiving side of onion hops for `keys`; `message` is the text of the ONION_DECRYPT_FAILED
 * error (a storage node answers oxenss's "Invalid ciphertext").
 */
export function hopServer(keys: X25519Keys, message?: string): HopServer {
  const inner = onionHopServer(keys);
  const failing = (open: () => OpenedOnionLayer) => {
    try {
      return open();
    } catch (err) {
      throw new ProtocolError("ONION_DECRYPT_FAILED", message, undefined, { cause: err });
    }
  };
  return {
    open: (encType, ciphertext, ephemeralKey) => failing(() => inner.open(encType, ciphertext, ephemeralKey)),
    openWithSharedSecret: (encType, ciphertext, ephemeralKey, shared) =>
      failing(() => inner.openWithSharedSecret(encType, ciphertext, ephemeralKey, shared)),
  };
}

/** One-off: opens the layer a client encrypted to `keys.publicKey` (ONION_DECRYPT_FAILED if not). */
export function decryptFromClient(
  encType: EncType,
  ciphertext: Uint8Array,
  clientKey: Uint8Array,
  keys: X25519Keys,
): Uint8Array {
  return hopServer(keys).open(encType, ciphertext, clientKey).plaintext;
}

/** One-off: encrypts a reply back to the client's ephemeral key with the same cipher. */
export function encryptToClient(
  encType: EncType,
  plaintext: Uint8Array,
  clientKey: Uint8Array,
  keys: X25519Keys,
): Uint8Array {
  return onionEncryptResponse(encType, plaintext, keys, clientKey);
}

/**
 * Client side (tests, benches): opens the reply to a layer sealed with @session/crypto's
 * `onionSealLayer`, failing as a node does (ONION_DECRYPT_FAILED).
 */
export function openHopReply(encType: EncType, ciphertext: Uint8Array, keys: OnionReplyKeys): Uint8Array {
  try {
    return onionOpenReply(encType, ciphertext, keys);
  } catch (err) {
    throw new ProtocolError("ONION_DECRYPT_FAILED", undefined, undefined, { cause: err });
  }
}
