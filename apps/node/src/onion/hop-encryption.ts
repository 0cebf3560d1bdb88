import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { blake2b, concatBytes } from "@session/crypto";
import { type EncType, ProtocolError } from "@session/protocol";

/*
 * Onion hop encryption (libsession src/onionreq/hop_encryption.cpp), on node:crypto:
 *   shared = X25519(own secret, peer public)
 *   aes-gcm:   key = HMAC-SHA256(key "LOKI", shared); out = IV(12) ‖ ciphertext ‖ tag(16)
 *   xchacha20: key = BLAKE2b-256(shared ‖ client pk ‖ server pk); out = nonce(24) ‖ ciphertext ‖ tag(16)
 * XChaCha20-Poly1305 = ChaCha20-Poly1305 (IETF) under the HChaCha20 subkey of the first 16
 * nonce bytes, with nonce 0000 ‖ last 8 nonce bytes. Local until @session/crypto exports its
 * onion hop functions; checked against libsession's vectors in test/onion-cipher.test.ts.
 */

export interface X25519KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secretKey]), format: "der", type: "pkcs8" });
}

function x25519(secretKey: Uint8Array | KeyObject, publicKey: Uint8Array): Uint8Array {
  const privateKey = secretKey instanceof Uint8Array ? privateKeyObject(secretKey) : secretKey;
  const pub = createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: "der", type: "spki" });
  return new Uint8Array(diffieHellman({ privateKey, publicKey: pub }));
}

/** A fresh X25519 key pair (raw 32-byte keys). */
export function generateX25519KeyPair(): X25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const pub = publicKey.export({ format: "der", type: "spki" });
  const sec = privateKey.export({ format: "der", type: "pkcs8" });
  return {
    publicKey: new Uint8Array(pub.subarray(pub.length - 32)),
    secretKey: new Uint8Array(sec.subarray(sec.length - 32)),
  };
}

function hopKey(
  encType: EncType,
  shared: Uint8Array,
  clientPk: Uint8Array,
  serverPk: Uint8Array,
): Uint8Array {
  if (encType === "aes-gcm") return new Uint8Array(createHmac("sha256", "LOKI").update(shared).digest());
  return blake2b(concatBytes(shared, clientPk, serverPk), 32);
}

const rotl = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;

/** HChaCha20(key, 16-byte nonce) → 32-byte subkey. */
function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const k = new DataView(key.buffer, key.byteOffset, 32);
  const n = new DataView(nonce16.buffer, nonce16.byteOffset, 16);
  const s = new Uint32Array(16);
  s[0] = 0x61707865;
  s[1] = 0x3320646e;
  s[2] = 0x79622d32;
  s[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) s[4 + i] = k.getUint32(i * 4, true);
  for (let i = 0; i < 4; i++) s[12 + i] = n.getUint32(i * 4, true);
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] = (s[a]! + s[b]!) >>> 0;
    s[d] = rotl(s[d]! ^ s[a]!, 16);
    s[c] = (s[c]! + s[d]!) >>> 0;
    s[b] = rotl(s[b]! ^ s[c]!, 12);
    s[a] = (s[a]! + s[b]!) >>> 0;
    s[d] = rotl(s[d]! ^ s[a]!, 8);
    s[c] = (s[c]! + s[d]!) >>> 0;
    s[b] = rotl(s[b]! ^ s[c]!, 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const o = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) o.setUint32(i * 4, s[i]!, true);
  for (let i = 0; i < 4; i++) o.setUint32(16 + i * 4, s[12 + i]!, true);
  return out;
}

function xchachaParts(key: Uint8Array, nonce: Uint8Array) {
  const iv = new Uint8Array(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { subkey: hchacha20(key, nonce.subarray(0, 16)), iv };
}

function seal(encType: EncType, key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (encType === "aes-gcm") {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, iv);
    return concatBytes(iv, c.update(plaintext), c.final(), c.getAuthTag());
  }
  const nonce = randomBytes(24);
  const { subkey, iv } = xchachaParts(key, nonce);
  const c = createCipheriv("chacha20-poly1305", subkey, iv, { authTagLength: 16 });
  return concatBytes(nonce, c.update(plaintext), c.final(), c.getAuthTag());
}

function open(encType: EncType, key: Uint8Array, data: Uint8Array): Uint8Array {
  const nonceLen = encType === "aes-gcm" ? 12 : 24;
  if (data.length < nonceLen + 16)
    throw new ProtocolError("ONION_DECRYPT_FAILED", "Invalid ciphertext: too short");
  const nonce = data.subarray(0, nonceLen);
  const body = data.subarray(nonceLen, data.length - 16);
  const tag = data.subarray(data.length - 16);
  try {
    if (encType === "aes-gcm") {
      const d = createDecipheriv("aes-256-gcm", key, nonce);
      d.setAuthTag(tag);
      return concatBytes(d.update(body), d.final());
    }
    const { subkey, iv } = xchachaParts(key, nonce);
    const d = createDecipheriv("chacha20-poly1305", subkey, iv, { authTagLength: 16 });
    d.setAuthTag(tag);
    return concatBytes(d.update(body), d.final());
  } catch {
    throw new ProtocolError("ONION_DECRYPT_FAILED", "Invalid ciphertext");
  }
}

function sharedOrFail(secretKey: Uint8Array | KeyObject, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519(secretKey, publicKey);
  } catch {
    // e.g. a low-order point: node:crypto refuses an all-zero shared secret
    throw new ProtocolError("ONION_DECRYPT_FAILED", "Invalid ciphertext");
  }
}

/** Node side: opens a layer the client encrypted to `server` with ephemeral key `clientPk`. */
export function decryptFromClient(
  encType: EncType,
  ciphertext: Uint8Array,
  clientPk: Uint8Array,
  server: X25519KeyPair,
): Uint8Array {
  const shared = sharedOrFail(server.secretKey, clientPk);
  return open(encType, hopKey(encType, shared, clientPk, server.publicKey), ciphertext);
}

/** Node side: seals a reply to the client's ephemeral key `clientPk`. */
export function encryptToClient(
  encType: EncType,
  plaintext: Uint8Array,
  clientPk: Uint8Array,
  server: X25519KeyPair,
): Uint8Array {
  const shared = sharedOrFail(server.secretKey, clientPk);
  return seal(encType, hopKey(encType, shared, clientPk, server.publicKey), plaintext);
}

/**
 * Node side, for many requests: the secret key is parsed once, and each opened layer hands
 * back a `seal` for its reply that reuses the hop key (one X25519 per hop, not two).
 */
export function hopServer(server: X25519KeyPair) {
  const secret = privateKeyObject(server.secretKey);
  return {
    open(encType: EncType, ciphertext: Uint8Array, clientPk: Uint8Array) {
      const key = hopKey(encType, sharedOrFail(secret, clientPk), clientPk, server.publicKey);
      return {
        plaintext: open(encType, key, ciphertext),
        seal: (plaintext: Uint8Array) => seal(encType, key, plaintext),
      };
    },
  };
}

/** Client side: encrypts to `serverPk` under a fresh ephemeral key; `key` opens the reply. */
export function encryptForHop(
  encType: EncType,
  plaintext: Uint8Array,
  serverPk: Uint8Array,
): { ciphertext: Uint8Array; ephemeralPublicKey: Uint8Array; key: Uint8Array } {
  const eph = generateX25519KeyPair();
  const key = hopKey(encType, x25519(eph.secretKey, serverPk), eph.publicKey, serverPk);
  return { ciphertext: seal(encType, key, plaintext), ephemeralPublicKey: eph.publicKey, key };
}

/** Client side: opens a reply sealed with the hop key from encryptForHop. */
export function decryptHopReply(encType: EncType, ciphertext: Uint8Array, key: Uint8Array): Uint8Array {
  return open(encType, key, ciphertext);
}
