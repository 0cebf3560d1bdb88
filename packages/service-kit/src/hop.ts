import {
  type KeyPair,
  type OnionEncType,
  onionDecryptFromClient,
  onionEncryptResponse,
} from "@session/crypto";
import { ProtocolError } from "@session/protocol";

// Server side of onion hop encryption (libsession onionreq/hop_encryption.cpp), from
// @session/crypto; this module only maps its failures to our error codes.

export type EncType = OnionEncType;
export type X25519Keys = KeyPair;

/** Opens the layer a client encrypted to `keys.publicKey`; any failure is ONION_DECRYPT_FAILED. */
export function decryptFromClient(
  encType: EncType,
  ciphertext: Uint8Array,
  clientKey: Uint8Array,
  keys: X25519Keys,
): Uint8Array {
  try {
    return onionDecryptFromClient(encType, ciphertext, keys, clientKey);
  } catch (cause) {
    throw new ProtocolError("ONION_DECRYPT_FAILED", undefined, undefined, { cause });
  }
}

/** Encrypts the reply back to the client's ephemeral key with the same cipher. */
export function encryptToClient(
  encType: EncType,
  plaintext: Uint8Array,
  clientKey: Uint8Array,
  keys: X25519Keys,
): Uint8Array {
  return onionEncryptResponse(encType, plaintext, keys, clientKey);
}
