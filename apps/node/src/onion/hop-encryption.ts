import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  type KeyPair,
  type OnionReplyKeys,
  onionHopKey,
  onionOpenReply,
  x25519Keypair,
  xchachaDecrypt,
  xchachaEncrypt,
} from "@session/crypto";
import { type EncType, ProtocolError } from "@session/protocol";

/*
 * Onion hop encryption as this node uses it, on @session/crypto (libsession
 * onionreq/hop_encryption.cpp: X25519, then HMAC-SHA256("LOKI") → AES-256-GCM or
 * BLAKE2b(s ‖ client ‖ server) → XChaCha20-Poly1305). Checked against libsession's vectors in
 * test/onion-cipher.test.ts. Every failure to open becomes ProtocolError ONION_DECRYPT_FAILED.
 */

export type X25519KeyPair = KeyPair;

const decryptFailed = (cause: unknown) =>
  new ProtocolError("ONION_DECRYPT_FAILED", "Invalid ciphertext", undefined, { cause });

function seal(encType: EncType, key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return encType === "aes-gcm" ? aesGcmEncrypt(key, plaintext) : xchachaEncrypt(key, plaintext);
}

function open(encType: EncType, key: Uint8Array, data: Uint8Array): Uint8Array {
  try {
    return encType === "aes-gcm" ? aesGcmDecrypt(key, data) : xchachaDecrypt(key, data);
  } catch (cause) {
    throw decryptFailed(cause);
  }
}

/**
 * Node side: each opened layer hands back a `seal` for its reply that reuses the hop key
 * (one X25519 per hop, not two).
 */
export function hopServer(server: X25519KeyPair) {
  return {
    open(encType: EncType, ciphertext: Uint8Array, clientPk: Uint8Array) {
      let key: Uint8Array;
      try {
        key = onionHopKey(encType, server.secretKey, clientPk, clientPk, server.publicKey);
      } catch (cause) {
        throw decryptFailed(cause); // low-order or malformed ephemeral key
      }
      return {
        plaintext: open(encType, key, ciphertext),
        seal: (plaintext: Uint8Array) => seal(encType, key, plaintext),
      };
    },
  };
}

/** A fresh X25519 key pair (raw 32-byte keys). */
export function generateX25519KeyPair(): X25519KeyPair {
  return x25519Keypair();
}

/** Node side, one-off: opens a layer the client encrypted to `server` with ephemeral key `clientPk`. */
export function decryptFromClient(
  encType: EncType,
  ciphertext: Uint8Array,
  clientPk: Uint8Array,
  server: X25519KeyPair,
): Uint8Array {
  return hopServer(server).open(encType, ciphertext, clientPk).plaintext;
}

/** Node side, one-off: seals a reply to the client's ephemeral key `clientPk`. */
export function encryptToClient(
  encType: EncType,
  plaintext: Uint8Array,
  clientPk: Uint8Array,
  server: X25519KeyPair,
): Uint8Array {
  return seal(
    encType,
    onionHopKey(encType, server.secretKey, clientPk, clientPk, server.publicKey),
    plaintext,
  );
}

/**
 * Client side (tests, bench): opens the reply to a layer sealed with @session/crypto's
 * `onionSealLayer`, failing as the node does (ONION_DECRYPT_FAILED).
 */
export function decryptHopReply(encType: EncType, ciphertext: Uint8Array, keys: OnionReplyKeys): Uint8Array {
  try {
    return onionOpenReply(encType, ciphertext, keys);
  } catch (cause) {
    throw decryptFailed(cause);
  }
}
