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

/*
 * Real X25519 + AES-GCM onion hop encryption (node:crypto) for framing tests, per
 * libsession src/onionreq/hop_encryption.cpp: key = HMAC-SHA256(key "LOKI", X25519 shared
 * secret); output = 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 */

export interface X25519Key {
  pub: Uint8Array;
  priv: KeyObject;
}

export function newX25519(): X25519Key {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const pub = new Uint8Array(Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url"));
  return { pub, priv: privateKey };
}

/** An X25519 key from its raw 32-byte secret. */
export function x25519FromSecret(secret: Uint8Array): X25519Key {
  const priv = createPrivateKey({
    key: Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), secret]),
    format: "der",
    type: "pkcs8",
  });
  const pub = new Uint8Array(Buffer.from(createPublicKey(priv).export({ format: "jwk" }).x!, "base64url"));
  return { pub, priv };
}

function pubKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: Buffer.concat([Buffer.from("302a300506032b656e032100", "hex"), raw]),
    format: "der",
    type: "spki",
  });
}

function gcmKey(priv: KeyObject, peer: Uint8Array): Buffer {
  const shared = diffieHellman({ privateKey: priv, publicKey: pubKeyObject(peer) });
  return createHmac("sha256", "LOKI").update(shared).digest();
}

export function aesGcmEncrypt(plaintext: Uint8Array, recipient: Uint8Array) {
  const eph = newX25519();
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", gcmKey(eph.priv, recipient), iv);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return {
    ciphertext: new Uint8Array(Buffer.concat([iv, ct, c.getAuthTag()])),
    ephemeralPublicKey: eph.pub,
    keys: eph,
  };
}

export function aesGcmDecrypt(box: Uint8Array, own: X25519Key, ephemeral: Uint8Array): Uint8Array {
  const iv = box.subarray(0, 12);
  const tag = box.subarray(box.length - 16);
  const d = createDecipheriv("aes-256-gcm", gcmKey(own.priv, ephemeral), iv);
  d.setAuthTag(tag);
  return new Uint8Array(Buffer.concat([d.update(box.subarray(12, box.length - 16)), d.final()]));
}
