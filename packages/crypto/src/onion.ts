import { aesGcmDecrypt, aesGcmEncrypt, xchachaDecrypt, xchachaEncrypt } from "./aead.ts";
import { concatBytes } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b, hmacSha256 } from "./hash.ts";
import { type KeyPair, x25519GivenSharedSecret, x25519Keypair, x25519SharedSecret } from "./keys.ts";

/*
 * Onion-request hop encryption (libsession src/onionreq/hop_encryption.cpp).
 *   s = X25519(own secret, peer public)
 *   aes-gcm:   key = HMAC-SHA256(key = "LOKI", s);   data = IV(12) ‖ ct ‖ tag(16)
 *   xchacha20: key = BLAKE2b-256(s ‖ client pk ‖ server pk);  data = nonce(24) ‖ ct ‖ tag(16)
 * The client uses a fresh ephemeral key per hop; the node its long-term X25519 key. Responses use
 * the same key in the other direction.
 */

export type OnionEncType = "aes-gcm" | "xchacha20";
export const ONION_ENC_TYPES: readonly OnionEncType[] = ["aes-gcm", "xchacha20"];

/** Symmetric key shared by a client (ephemeral key) and a node for one hop. */
export function onionHopKey(
  encType: OnionEncType,
  ownSecretKey: Uint8Array,
  peerPublicKey: Uint8Array,
  clientPublicKey: Uint8Array,
  serverPublicKey: Uint8Array,
): Uint8Array {
  return hopKeyFromShared(
    encType,
    x25519SharedSecret(ownSecretKey, peerPublicKey),
    clientPublicKey,
    serverPublicKey,
  );
}

/** The hop key from the X25519 shared secret `shared` (the KDF half of onionHopKey). */
function hopKeyFromShared(
  encType: OnionEncType,
  shared: Uint8Array,
  clientPublicKey: Uint8Array,
  serverPublicKey: Uint8Array,
): Uint8Array {
  if (encType === "aes-gcm") return hmacSha256("LOKI", shared);
  if (encType === "xchacha20") return blake2b(concatBytes(shared, clientPublicKey, serverPublicKey), 32);
  throw new CryptoError("INVALID_INPUT", `unknown onion enc_type ${String(encType)}`);
}

function seal(encType: OnionEncType, key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return encType === "aes-gcm" ? aesGcmEncrypt(key, plaintext) : xchachaEncrypt(key, plaintext);
}

function open(encType: OnionEncType, key: Uint8Array, data: Uint8Array): Uint8Array {
  return encType === "aes-gcm" ? aesGcmDecrypt(key, data) : xchachaDecrypt(key, data);
}

const clientKey = (encType: OnionEncType, ephemeral: KeyPair, nodePk: Uint8Array) =>
  onionHopKey(encType, ephemeral.secretKey, nodePk, ephemeral.publicKey, nodePk);

const nodeKey = (encType: OnionEncType, node: KeyPair, clientPk: Uint8Array) =>
  onionHopKey(encType, node.secretKey, clientPk, clientPk, node.publicKey);

/** Client: encrypts one layer for the node whose X25519 key is `nodeX25519Pk`. */
export function onionEncryptForHop(
  encType: OnionEncType,
  plaintext: Uint8Array,
  ephemeral: KeyPair,
  nodeX25519Pk: Uint8Array,
): Uint8Array {
  return seal(encType, clientKey(encType, ephemeral, nodeX25519Pk), plaintext);
}

/** Client: decrypts the response the node encrypted back to the ephemeral key. */
export function onionDecryptResponse(
  encType: OnionEncType,
  ciphertext: Uint8Array,
  ephemeral: KeyPair,
  nodeX25519Pk: Uint8Array,
): Uint8Array {
  return open(encType, clientKey(encType, ephemeral, nodeX25519Pk), ciphertext);
}

/** A layer opened by a hop server, with the `seal` for its reply. */
export interface OpenedOnionLayer {
  plaintext: Uint8Array;
  seal(reply: Uint8Array): Uint8Array;
}

/**
 * Server side (a node or a server's final hop) for its long-term X25519 keys: each opened layer
 * hands back a `seal` for its reply that reuses the hop key (one X25519 per hop, not two). Any
 * failure to open — a low-order or malformed ephemeral key, a tampered or short ciphertext, the
 * wrong key — is CryptoError DECRYPT_FAILED.
 */
export function onionHopServer(keys: KeyPair) {
  const openWith = (
    encType: OnionEncType,
    ciphertext: Uint8Array,
    clientEphemeralPk: Uint8Array,
    sharedSecret: () => Uint8Array,
  ): OpenedOnionLayer => {
    let key: Uint8Array;
    let plaintext: Uint8Array;
    try {
      key = hopKeyFromShared(encType, sharedSecret(), clientEphemeralPk, keys.publicKey);
      plaintext = open(encType, key, ciphertext);
    } catch (cause) {
      throw new CryptoError("DECRYPT_FAILED", "onion layer does not open with this key", { cause });
    }
    return { plaintext, seal: (reply: Uint8Array) => seal(encType, key, reply) };
  };
  return {
    open(encType: OnionEncType, ciphertext: Uint8Array, clientEphemeralPk: Uint8Array): OpenedOnionLayer {
      return openWith(encType, ciphertext, clientEphemeralPk, () =>
        x25519SharedSecret(keys.secretKey, clientEphemeralPk),
      );
    },
    /**
     * `open` with X25519(keys.secretKey, clientEphemeralPk) already computed (on another
     * thread): `shared`, or `null` where X25519 refused the key. Only the key derivation and
     * the AEAD run here; the result and every failure are `open`'s.
     */
    openWithSharedSecret(
      encType: OnionEncType,
      ciphertext: Uint8Array,
      clientEphemeralPk: Uint8Array,
      shared: Uint8Array | null,
    ): OpenedOnionLayer {
      return openWith(encType, ciphertext, clientEphemeralPk, () =>
        x25519GivenSharedSecret(clientEphemeralPk, shared),
      );
    },
  };
}

/** Node: opens a layer a client encrypted to this node's X25519 key. */
export function onionDecryptFromClient(
  encType: OnionEncType,
  ciphertext: Uint8Array,
  nodeKeys: KeyPair,
  clientEphemeralPk: Uint8Array,
): Uint8Array {
  return open(encType, nodeKey(encType, nodeKeys, clientEphemeralPk), ciphertext);
}

/** Node: encrypts a response back to the client's ephemeral key. */
export function onionEncryptResponse(
  encType: OnionEncType,
  plaintext: Uint8Array,
  nodeKeys: KeyPair,
  clientEphemeralPk: Uint8Array,
): Uint8Array {
  return seal(encType, nodeKey(encType, nodeKeys, clientEphemeralPk), plaintext);
}

/** What a client keeps to open a layer's reply: its ephemeral key pair and the recipient's key. */
export interface OnionReplyKeys {
  ephemeral: KeyPair;
  recipientX25519: Uint8Array;
}

/**
 * Client: encrypts one layer under a fresh ephemeral key. The result has the shape of
 * @session/protocol's `LayerEncryptor`, so it can be passed to `buildOnionRequest` as is.
 */
export function onionSealLayer(
  plaintext: Uint8Array,
  recipientX25519: Uint8Array,
  encType: OnionEncType,
): { ciphertext: Uint8Array; ephemeralPublicKey: Uint8Array; keys: OnionReplyKeys } {
  const ephemeral = x25519Keypair();
  return {
    ciphertext: onionEncryptForHop(encType, plaintext, ephemeral, recipientX25519),
    ephemeralPublicKey: ephemeral.publicKey,
    keys: { ephemeral, recipientX25519 },
  };
}

/** Client: opens the reply to a layer sealed by `onionSealLayer`. */
export function onionOpenReply(encType: OnionEncType, reply: Uint8Array, keys: OnionReplyKeys): Uint8Array {
  return onionDecryptResponse(encType, reply, keys.ephemeral, keys.recipientX25519);
}
