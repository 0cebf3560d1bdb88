import { randomBytes } from "node:crypto";
import { xchachaOpenNonceLast } from "./aead.ts";
import { blind15KeyPair, blind25KeyPair, fullEd25519SecretKey } from "./blind-sign.ts";
import { concatBytes, equalBytes, toHex } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b } from "./hash.ts";
import { sodium } from "./sodium.ts";

/*
 * Blinded direct messages through a community server (libsession src/session_encrypt.cpp:
 * encrypt_for_blinded_recipient / decrypt_from_blinded_recipient). Sender A (blinded kA) and
 * recipient B (blinded jB) both reach the same point k·j·a·b·G; the key is
 * BLAKE2b-256(shared ‖ sender blinded key ‖ recipient blinded key). The box is
 *   0x00 ‖ XChaCha20-Poly1305(message ‖ A_ed25519) ‖ 24-byte nonce
 * and carries the sender's unblinded Ed25519 key so the recipient learns (and checks) who sent it.
 */

const VERSION = 0x00;
const NONCE = 24;
const TAG = 16;

interface BlindedDmOpened {
  message: Uint8Array;
  /** The sender's 05 Session ID, proven to match the blinded sender ID. */
  senderSessionId: string;
}

function parseBlinded(id: Uint8Array, what: string): { prefix: number; key: Uint8Array } {
  if (id.length !== 33 || (id[0] !== 0x15 && id[0] !== 0x25)) {
    throw new CryptoError("INVALID_KEY", `${what} must be 33 bytes starting with 0x15 or 0x25`);
  }
  return { prefix: id[0]!, key: id.subarray(1) };
}

function serverKey(serverPk: Uint8Array): Uint8Array {
  if (serverPk.length !== 32) throw new CryptoError("INVALID_KEY", "server public key must be 32 bytes");
  return serverPk;
}

/** The 33-byte blinded ID (15 or 25 prefix) of our own key on this server. */
export function ownBlindedId(ed25519Sk: Uint8Array, serverPk: Uint8Array, prefix: 0x15 | 0x25): Uint8Array {
  const pair = prefix === 0x15 ? blind15KeyPair(ed25519Sk, serverPk) : blind25KeyPair(ed25519Sk, serverPk);
  return concatBytes(Uint8Array.of(prefix), pair.publicKey);
}

/**
 * The shared key between us (ours, a blinded ID of our key) and them; `sending` says whose ID comes
 * first in the hash (the sender's always does).
 */
function blindedSharedKey(
  sk: Uint8Array,
  ours: Uint8Array,
  theirs: Uint8Array,
  serverPk: Uint8Array,
  sending: boolean,
): Uint8Array {
  const a = parseBlinded(ours, "own blinded ID");
  const b = parseBlinded(theirs, "other blinded ID");
  if (a.prefix !== b.prefix)
    throw new CryptoError("INVALID_KEY", "both blinded IDs must use the same prefix");
  let scalar = sodium.crypto_sign_ed25519_sk_to_curve25519(sk);
  if (a.prefix === 0x25) {
    // 25-blinding factors differ per account, so multiply our own in (k·a·jB = j·b·kA).
    scalar = sodium.crypto_core_ed25519_scalar_mul(scalar, blind25KeyPair(sk, serverPk).factor);
  }
  let shared: Uint8Array;
  try {
    shared = sodium.crypto_scalarmult_ed25519_noclamp(scalar, b.key);
  } catch (cause) {
    throw new CryptoError("INVALID_KEY", "blinded ID is not a valid curve point", { cause });
  }
  const [sender, recipient] = sending ? [a.key, b.key] : [b.key, a.key];
  return blake2b(concatBytes(shared, sender, recipient), 32);
}

/** Encrypts `message` from our account to a blinded recipient on the server with `serverPk`. */
export function encryptForBlindedRecipient(
  ed25519Sk: Uint8Array,
  serverPk: Uint8Array,
  recipientBlindedId: Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const sk = fullEd25519SecretKey(ed25519Sk);
  const recipient = parseBlinded(recipientBlindedId, "recipient blinded ID");
  const ours = ownBlindedId(sk, serverKey(serverPk), recipient.prefix as 0x15 | 0x25);
  const key = blindedSharedKey(sk, ours, recipientBlindedId, serverPk, true);
  const nonce = new Uint8Array(randomBytes(NONCE));
  const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    concatBytes(message, sk.subarray(32)),
    null,
    null,
    nonce,
    key,
  );
  return concatBytes(Uint8Array.of(VERSION), ct, nonce);
}

function blindedFromEd(edPk: Uint8Array, serverPk: Uint8Array, prefix: number): Uint8Array {
  const x = sodium.crypto_sign_ed25519_pk_to_curve25519(edPk);
  let k: Uint8Array;
  let point = edPk;
  if (prefix === 0x15) {
    k = sodium.crypto_core_ed25519_scalar_reduce(blake2b(serverPk, 64));
  } else {
    k = sodium.crypto_core_ed25519_scalar_reduce(blake2b(concatBytes(Uint8Array.of(0x05), x, serverPk), 64));
    point = edPk.slice();
    point[31] = point[31]! & 0x7f;
  }
  return concatBytes(Uint8Array.of(prefix), sodium.crypto_scalarmult_ed25519_noclamp(k, point));
}

/**
 * Opens a blinded DM. Works for either party: when `senderBlindedId` is our own blinded ID we are
 * reading our own outbox. Throws DECRYPT_FAILED on tampering or when the inner sender key does not
 * match the blinded sender.
 */
export function decryptFromBlindedRecipient(
  ed25519Sk: Uint8Array,
  serverPk: Uint8Array,
  senderBlindedId: Uint8Array,
  recipientBlindedId: Uint8Array,
  ciphertext: Uint8Array,
): BlindedDmOpened {
  const sk = fullEd25519SecretKey(ed25519Sk);
  serverKey(serverPk);
  const recipient = parseBlinded(recipientBlindedId, "recipient blinded ID");
  parseBlinded(senderBlindedId, "sender blinded ID");
  if (ciphertext.length < 1 + TAG + NONCE + 1) {
    throw new CryptoError("DECRYPT_FAILED", "ciphertext is too short");
  }
  if (ciphertext[0] !== VERSION)
    throw new CryptoError("DECRYPT_FAILED", `unknown blinded DM version ${ciphertext[0]}`);
  const ours = blindedFromEd(sk.subarray(32), serverPk, recipient.prefix);
  const key = equalBytes(senderBlindedId, ours)
    ? blindedSharedKey(sk, senderBlindedId, recipientBlindedId, serverPk, true)
    : blindedSharedKey(sk, recipientBlindedId, senderBlindedId, serverPk, false);
  const inner = xchachaOpenNonceLast(key, ciphertext.subarray(1), "blinded DM failed authentication");
  if (inner.length < 32) throw new CryptoError("DECRYPT_FAILED", "blinded DM is too short");
  const senderEd = inner.subarray(inner.length - 32);
  let senderX: Uint8Array;
  let extracted: Uint8Array;
  try {
    senderX = sodium.crypto_sign_ed25519_pk_to_curve25519(senderEd);
    extracted = blindedFromEd(senderEd, serverPk, recipient.prefix);
  } catch (cause) {
    throw new CryptoError("DECRYPT_FAILED", "blinded DM carries an invalid sender key", { cause });
  }
  let matched = equalBytes(extracted, senderBlindedId);
  if (!matched && recipient.prefix === 0x15) {
    extracted[32] = extracted[32]! ^ 0x80;
    matched = equalBytes(extracted, senderBlindedId);
  }
  if (!matched) throw new CryptoError("DECRYPT_FAILED", "blinded sender ID does not match the actual sender");
  return { message: inner.slice(0, inner.length - 32), senderSessionId: `05${toHex(senderX)}` };
}
