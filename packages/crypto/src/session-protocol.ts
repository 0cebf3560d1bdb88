import { concatBytes } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b } from "./hash.ts";
import { ed25519PkToX25519, ed25519SkToX25519, sign, verify } from "./keys.ts";
import { parseSessionId, SessionIdPrefix, sessionIdFromX25519 } from "./session-id.ts";
import { sodium } from "./sodium.ts";

/*
 * Session protocol 1:1 encryption (libsession src/session_encrypt.cpp):
 *   sig = Ed25519-sign(M ‖ A ‖ Y) with the sender's key, A = sender Ed25519 pk, Y = recipient X25519 pk
 *   ciphertext = crypto_box_seal(M ‖ A ‖ sig, Y)
 */

const SEAL_BYTES = 48; // ephemeral pk (32) + Poly1305 tag (16)
const BOX_HASH_KEY = new TextEncoder().encode("SessionBoxEphemeralHashKey");

function expandSecretKey(ed25519SecretKey: Uint8Array): Uint8Array {
  if (ed25519SecretKey.length === 32) return sodium.crypto_sign_seed_keypair(ed25519SecretKey).privateKey;
  if (ed25519SecretKey.length !== 64) {
    throw new CryptoError("INVALID_KEY", "Ed25519 secret key must be 64 bytes (or its 32-byte seed)");
  }
  return ed25519SecretKey;
}

function recipientKey(recipient: string | Uint8Array): Uint8Array {
  if (typeof recipient === "string") {
    const parsed = parseSessionId(recipient);
    if (parsed.prefix !== SessionIdPrefix.Standard) {
      throw new CryptoError("INVALID_SESSION_ID", "recipient must be a 05-prefixed Session ID");
    }
    return parsed.publicKey;
  }
  if (recipient.length === 33 && recipient[0] === 0x05) return recipient.slice(1);
  if (recipient.length !== 32) {
    throw new CryptoError("INVALID_KEY", "recipient X25519 key must be 32 bytes (33 with 05 prefix)");
  }
  return recipient;
}

/**
 * What both encryptions seal: message ‖ sender Ed25519 pk ‖ signature(message ‖ sender pk ‖
 * recipient X25519 pk), with the sender's expanded key `sk` and the recipient's X25519 key `y`.
 */
function signedForRecipient(
  senderEd25519SecretKey: Uint8Array,
  recipient: string | Uint8Array,
  message: Uint8Array,
) {
  const sk = expandSecretKey(senderEd25519SecretKey);
  const y = recipientKey(recipient);
  const senderEdPk = sk.subarray(32);
  const signature = sign(concatBytes(message, senderEdPk, y), sk);
  return { sk, y, signed: concatBytes(message, senderEdPk, signature) };
}

/** Encrypts `message` for a recipient Session ID (or X25519 key), signed by the sender. */
export function encryptForRecipient(
  senderEd25519SecretKey: Uint8Array,
  recipient: string | Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const { y, signed } = signedForRecipient(senderEd25519SecretKey, recipient, message);
  return sodium.crypto_box_seal(signed, y);
}

/**
 * Deterministic variant (libsession `encrypt_for_recipient_deterministic`): the sealed box's
 * ephemeral key comes from a keyed BLAKE2b of sender seed ‖ recipient key ‖ message, so the same
 * input always gives the same ciphertext (used where re-sends must dedupe).
 */
export function encryptForRecipientDeterministic(
  senderEd25519SecretKey: Uint8Array,
  recipient: string | Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const { sk, y, signed } = signedForRecipient(senderEd25519SecretKey, recipient, message);
  const seed = blake2b(concatBytes(sk.subarray(0, 32), y, message), 32, BOX_HASH_KEY);
  const eph = sodium.crypto_box_seed_keypair(seed);
  // crypto_box_seal is: eph_pk ‖ crypto_box(m, nonce = BLAKE2b-24(eph_pk ‖ recipient_pk)).
  const nonce = blake2b(concatBytes(eph.publicKey, y), 24);
  const boxed = sodium.crypto_box_easy(signed, nonce, y, eph.privateKey);
  return concatBytes(eph.publicKey, boxed);
}

interface DecryptedMessage {
  plaintext: Uint8Array;
  senderEd25519Pk: Uint8Array;
  senderSessionId: string;
}

/**
 * Opens a message sent with `encryptForRecipient`, checks the sender's signature, and returns
 * the plaintext with the sender's Ed25519 key and Session ID.
 */
export function decryptIncoming(
  recipientEd25519SecretKey: Uint8Array,
  ciphertext: Uint8Array,
): DecryptedMessage {
  const sk = expandSecretKey(recipientEd25519SecretKey);
  const xSk = ed25519SkToX25519(sk);
  const xPk = ed25519PkToX25519(sk.subarray(32));
  return decryptIncomingX25519(xPk, xSk, ciphertext);
}

/** Same as `decryptIncoming`, given the recipient's X25519 key pair directly. */
export function decryptIncomingX25519(
  x25519PublicKey: Uint8Array,
  x25519SecretKey: Uint8Array,
  ciphertext: Uint8Array,
): DecryptedMessage {
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < SEAL_BYTES + 32 + 64) {
    throw new CryptoError("DECRYPT_FAILED", "ciphertext is too short");
  }
  let inner: Uint8Array;
  try {
    inner = sodium.crypto_box_seal_open(ciphertext, x25519PublicKey, x25519SecretKey);
  } catch (cause) {
    throw new CryptoError("DECRYPT_FAILED", "message could not be decrypted with this key", { cause });
  }
  const msgLen = inner.length - 32 - 64;
  const plaintext = inner.slice(0, msgLen);
  const senderEd25519Pk = inner.slice(msgLen, msgLen + 32);
  const signature = inner.slice(msgLen + 32);
  if (!verify(signature, concatBytes(plaintext, senderEd25519Pk, x25519PublicKey), senderEd25519Pk)) {
    throw new CryptoError("BAD_SIGNATURE", "sender signature does not verify");
  }
  let senderX: Uint8Array;
  try {
    senderX = ed25519PkToX25519(senderEd25519Pk);
  } catch (cause) {
    throw new CryptoError("BAD_SIGNATURE", "sender key is not a valid Ed25519 key", { cause });
  }
  return { plaintext, senderEd25519Pk, senderSessionId: sessionIdFromX25519(senderX) };
}
