import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
} from "node:crypto";
import { blake2b, concatBytes } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import sodium from "libsodium-wrappers-sumo";

await sodium.ready;

// TEMPORARY local hop encryption (libsession onionreq/hop_encryption.cpp) until @session/crypto
// exports its onion hop functions.

export type EncType = "aes-gcm" | "xchacha20";
export interface X25519Keys {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

const PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI = Buffer.from("302a300506032b656e032100", "hex");

function sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8, secretKey]), format: "der", type: "pkcs8" });
  const pub = createPublicKey({ key: Buffer.concat([SPKI, publicKey]), format: "der", type: "spki" });
  return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub }));
}

function hopKey(enc: EncType, s: Uint8Array, clientPk: Uint8Array, serverPk: Uint8Array) {
  if (enc === "aes-gcm") return new Uint8Array(createHmac("sha256", "LOKI").update(s).digest());
  return blake2b(concatBytes(s, clientPk, serverPk), 32);
}

function seal(enc: EncType, key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (enc === "aes-gcm") {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, iv);
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return concatBytes(iv, ct, c.getAuthTag());
  }
  const nonce = randomBytes(24);
  return concatBytes(
    nonce,
    sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, null, null, nonce, key),
  );
}

function open(enc: EncType, key: Uint8Array, data: Uint8Array): Uint8Array {
  try {
    if (enc === "aes-gcm") {
      if (data.length < 28) throw new Error("short");
      const d = createDecipheriv("aes-256-gcm", key, data.subarray(0, 12));
      d.setAuthTag(data.subarray(data.length - 16));
      return new Uint8Array(Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]));
    }
    if (data.length < 40) throw new Error("short");
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      data.subarray(24),
      null,
      data.subarray(0, 24),
      key,
    );
  } catch {
    throw new ProtocolError("ONION_DECRYPT_FAILED");
  }
}

export function decryptFromClient(
  enc: EncType,
  ciphertext: Uint8Array,
  clientKey: Uint8Array,
  keys: X25519Keys,
) {
  let s: Uint8Array;
  try {
    s = sharedSecret(keys.secretKey, clientKey);
  } catch {
    throw new ProtocolError("ONION_DECRYPT_FAILED");
  }
  return open(enc, hopKey(enc, s, clientKey, keys.publicKey), ciphertext);
}

export function encryptToClient(
  enc: EncType,
  plaintext: Uint8Array,
  clientKey: Uint8Array,
  keys: X25519Keys,
) {
  const s = sharedSecret(keys.secretKey, clientKey);
  return seal(enc, hopKey(enc, s, clientKey, keys.publicKey), plaintext);
}

/** Client side, for tests: encrypt to a server, returning what is needed to read the reply. */
export function clientEncrypt(enc: EncType, plaintext: Uint8Array, serverPk: Uint8Array) {
  const eph = sodium.crypto_box_keypair();
  const s = sharedSecret(eph.privateKey, serverPk);
  const key = hopKey(enc, s, eph.publicKey, serverPk);
  return { ciphertext: seal(enc, key, plaintext), ephemeralPublicKey: eph.publicKey, key };
}

export function clientDecrypt(enc: EncType, data: Uint8Array, key: Uint8Array) {
  return open(enc, key, data);
}

/** Client side, for tests: the hop key a client with ephemeral keys (sk, pk) shares with serverPk. */
export function clientHopKey(
  enc: EncType,
  clientSecret: Uint8Array,
  clientPublic: Uint8Array,
  serverPk: Uint8Array,
) {
  return hopKey(enc, sharedSecret(clientSecret, serverPk), clientPublic, serverPk);
}
