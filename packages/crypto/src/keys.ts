import { randomBytes } from "node:crypto";
import { concatBytes } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { sessionIdFromX25519 } from "./session-id.ts";
import { native, sodium } from "./sodium.ts";

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Everything an account derives from its 32-byte Ed25519 seed. */
export interface AccountKeys {
  /** 32-byte Ed25519 seed (a 16-byte recovery seed zero-padded). */
  seed: Uint8Array;
  /** Ed25519: 32-byte public key, 64-byte secret key (seed ‖ public key, libsodium layout). */
  ed25519: KeyPair;
  /** X25519 keys converted from the Ed25519 ones; the Session ID is built from the public key. */
  x25519: KeyPair;
  /** "05" + hex X25519 public key. */
  sessionId: string;
}

/** 32 random bytes, usable as an Ed25519 seed. */
export function generateSeed(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/**
 * Derives the account keys from a seed. Session recovery phrases hold 16 bytes; like Session, a
 * 16-byte seed is zero-padded to the 32 bytes Ed25519 needs.
 */
export function keypairFromSeed(seed: Uint8Array): AccountKeys {
  if (!(seed instanceof Uint8Array) || (seed.length !== 16 && seed.length !== 32)) {
    throw new CryptoError("INVALID_SEED", "seed must be 16 or 32 bytes");
  }
  const full = seed.length === 32 ? seed.slice() : concatBytes(seed, new Uint8Array(16));
  const ed = sodium.crypto_sign_seed_keypair(full);
  const xPk = sodium.crypto_sign_ed25519_pk_to_curve25519(ed.publicKey);
  const xSk = sodium.crypto_sign_ed25519_sk_to_curve25519(ed.privateKey);
  return {
    seed: full,
    ed25519: { publicKey: ed.publicKey, secretKey: ed.privateKey },
    x25519: { publicKey: xPk, secretKey: xSk },
    sessionId: sessionIdFromX25519(xPk),
  };
}

function requireLength(bytes: Uint8Array, len: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== len) {
    throw new CryptoError("INVALID_KEY", `${what} must be ${len} bytes`);
  }
}

/** Ed25519 public key → X25519 public key (birational map). */
export function ed25519PkToX25519(publicKey: Uint8Array): Uint8Array {
  requireLength(publicKey, 32, "Ed25519 public key");
  try {
    return sodium.crypto_sign_ed25519_pk_to_curve25519(publicKey);
  } catch (cause) {
    throw new CryptoError("INVALID_KEY", "Ed25519 public key is not a valid curve point", { cause });
  }
}

/** Ed25519 secret key (64 bytes, or its 32-byte seed) → X25519 secret key. */
export function ed25519SkToX25519(secretKey: Uint8Array): Uint8Array {
  const sk = secretKey.length === 32 ? sodium.crypto_sign_seed_keypair(secretKey).privateKey : secretKey;
  requireLength(sk, 64, "Ed25519 secret key");
  return sodium.crypto_sign_ed25519_sk_to_curve25519(sk);
}

/** A fresh random X25519 key pair (used for onion-request ephemeral keys). */
export function x25519Keypair(): KeyPair {
  const kp = sodium.crypto_box_keypair();
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

export function x25519PublicFromSecret(secretKey: Uint8Array): Uint8Array {
  requireLength(secretKey, 32, "X25519 secret key");
  return sodium.crypto_scalarmult_base(secretKey);
}

/** Raw X25519 shared secret; throws INVALID_KEY for low-order public keys (all-zero output). */
export function x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  requireLength(secretKey, 32, "X25519 secret key");
  requireLength(publicKey, 32, "X25519 public key");
  const shared = new Uint8Array(32);
  try {
    native.crypto_scalarmult(shared, secretKey, publicKey);
  } catch (cause) {
    throw lowOrderKey(cause);
  }
  return shared;
}

const lowOrderKey = (cause?: unknown) =>
  new CryptoError("INVALID_KEY", "X25519 public key is of low order", { cause });

/**
 * An X25519 shared secret with `publicKey` computed elsewhere (another thread's libsodium),
 * refused as x25519SharedSecret refuses it: a malformed key, or `null` for a result X25519
 * refused (low order), throws the same INVALID_KEY.
 */
export function x25519GivenSharedSecret(publicKey: Uint8Array, shared: Uint8Array | null): Uint8Array {
  requireLength(publicKey, 32, "X25519 public key");
  if (shared === null) throw lowOrderKey();
  requireLength(shared, 32, "X25519 shared secret");
  return shared;
}

/** Detached Ed25519 signature with a 64-byte secret key (or its 32-byte seed). */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const sk = secretKey.length === 32 ? sodium.crypto_sign_seed_keypair(secretKey).privateKey : secretKey;
  requireLength(sk, 64, "Ed25519 secret key");
  const signature = new Uint8Array(64);
  native.crypto_sign_detached(signature, message, sk);
  return signature;
}

/** Verifies a detached Ed25519 signature. Never throws: malformed input is simply not valid. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  if (!(message instanceof Uint8Array)) return false;
  try {
    return native.crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** Cryptographically secure random bytes. */
export function randomBytesArray(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}
