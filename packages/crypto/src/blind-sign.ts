import { concatBytes, fromHex, utf8Encode } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b, sha512 } from "./hash.ts";
import { sodium } from "./sodium.ts";

/*
 * Blinded key pairs and signatures for communities (libsession src/blinding.cpp: blind15_key_pair,
 * blind25_key_pair, blind15_sign, blind25_sign). A blinded key pair is (k·a, k·a·G) where a is the
 * account's Ed25519 scalar and k the server-specific blinding factor; signatures are plain Ed25519
 * signatures by that pair (verifiable with crypto_sign_verify_detached against the blinded key),
 * with the nonce derived as libsession derives it so outputs match its vectors byte for byte.
 */

interface BlindedKeyPair {
  /** 32-byte blinded Ed25519 public key (the blinded ID without its 15/25 prefix). */
  publicKey: Uint8Array;
  /** 32-byte blinded scalar. */
  secretKey: Uint8Array;
  /** The blinding factor used (k, or −k for 25-blinding of a negative key). */
  factor: Uint8Array;
}

/** A 64-byte Ed25519 secret key from a 64-byte key or its 32-byte seed. */
export function fullEd25519SecretKey(ed25519Sk: Uint8Array): Uint8Array {
  if (ed25519Sk.length === 32) return sodium.crypto_sign_seed_keypair(ed25519Sk).privateKey;
  if (ed25519Sk.length === 64) return ed25519Sk;
  throw new CryptoError("INVALID_KEY", "Ed25519 secret key must be 32 (seed) or 64 bytes");
}

function serverKeyBytes(serverPk: string | Uint8Array): Uint8Array {
  const pk = typeof serverPk === "string" ? hexServerKey(serverPk) : serverPk;
  if (pk.length !== 32) throw new CryptoError("INVALID_KEY", "server public key must be 32 bytes");
  return pk;
}

function hexServerKey(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new CryptoError("INVALID_KEY", "server public key must be 64 hex characters");
  }
  return fromHex(hex);
}

/** The unclamped-as-stored Ed25519 scalar a (what libsodium's sk→curve25519 conversion yields). */
function ed25519Scalar(sk: Uint8Array): Uint8Array {
  return sodium.crypto_sign_ed25519_sk_to_curve25519(sk);
}

/** libsession blind15_key_pair: k = H(server_pk) reduced; returns (k·a·G, k·a). */
export function blind15KeyPair(ed25519Sk: Uint8Array, serverPk: string | Uint8Array): BlindedKeyPair {
  const sk = fullEd25519SecretKey(ed25519Sk);
  const k = sodium.crypto_core_ed25519_scalar_reduce(blake2b(serverKeyBytes(serverPk), 64));
  const a = sodium.crypto_core_ed25519_scalar_mul(k, ed25519Scalar(sk));
  return { publicKey: sodium.crypto_scalarmult_ed25519_base_noclamp(a), secretKey: a, factor: k };
}

/**
 * libsession blind25_key_pair: k = H(05 ‖ X ‖ server_pk) reduced, negated when the account's
 * Ed25519 key is negative, so the blinded key is always k·|A| (unique per account and server).
 */
export function blind25KeyPair(ed25519Sk: Uint8Array, serverPk: string | Uint8Array): BlindedKeyPair {
  const sk = fullEd25519SecretKey(ed25519Sk);
  const x = sodium.crypto_sign_ed25519_pk_to_curve25519(sk.subarray(32));
  let k = sodium.crypto_core_ed25519_scalar_reduce(
    blake2b(concatBytes(Uint8Array.of(0x05), x, serverKeyBytes(serverPk)), 64),
  );
  if ((sk[63]! & 0x80) !== 0) k = sodium.crypto_core_ed25519_scalar_negate(k);
  const a = sodium.crypto_core_ed25519_scalar_mul(k, ed25519Scalar(sk));
  return { publicKey: sodium.crypto_scalarmult_ed25519_base_noclamp(a), secretKey: a, factor: k };
}

/**
 * Signs `message` with the blinded key pair `keyPair` gives for `ed25519Sk` and `serverPk`: S = r +
 * H(R ‖ A ‖ M)·a, the Ed25519 signature equation, with the nonce r = `nonceHash(sk, A)` reduced
 * (the one place blind15 and blind25 signing differ).
 */
function blindSign(
  ed25519Sk: Uint8Array,
  serverPk: string | Uint8Array,
  message: Uint8Array,
  keyPair: (sk: Uint8Array, serverPk: string | Uint8Array) => BlindedKeyPair,
  nonceHash: (sk: Uint8Array, blindedPk: Uint8Array) => Uint8Array,
): Uint8Array {
  const sk = fullEd25519SecretKey(ed25519Sk);
  const keys = keyPair(sk, serverPk);
  const r = sodium.crypto_core_ed25519_scalar_reduce(nonceHash(sk, keys.publicKey));
  const R = sodium.crypto_scalarmult_ed25519_base_noclamp(r);
  const hram = sodium.crypto_core_ed25519_scalar_reduce(sha512(concatBytes(R, keys.publicKey, message)));
  const S = sodium.crypto_core_ed25519_scalar_add(
    sodium.crypto_core_ed25519_scalar_mul(hram, keys.secretKey),
    r,
  );
  return concatBytes(R, S);
}

/** libsession blind15_sign: nonce r = H512(H512(sk)[32:] ‖ kA ‖ M) reduced. */
export function blind15Sign(
  ed25519Sk: Uint8Array,
  serverPk: string | Uint8Array,
  message: Uint8Array,
): Uint8Array {
  return blindSign(ed25519Sk, serverPk, message, blind15KeyPair, (sk, kA) =>
    sha512(concatBytes(sha512(sk).subarray(32), kA, message)),
  );
}

const SEED_HASH_KEY = utf8Encode("SessCommBlind25_seed");
const SIG_HASH_KEY = utf8Encode("SessCommBlind25_sig");

/** libsession blind25_sign: nonce r = BLAKE2b-512[key "SessCommBlind25_sig"](seedhash ‖ kA ‖ M) reduced. */
export function blind25Sign(
  ed25519Sk: Uint8Array,
  serverPk: string | Uint8Array,
  message: Uint8Array,
): Uint8Array {
  return blindSign(ed25519Sk, serverPk, message, blind25KeyPair, (sk, kA) => {
    const seedHash = blake2b(sk.subarray(0, 32), 32, SEED_HASH_KEY);
    return blake2b(concatBytes(seedHash, kA, message), 64, SIG_HASH_KEY);
  });
}

/** True when 32 bytes are a valid Ed25519 point in the main subgroup (SOGS checks X-SOGS-Pubkey so). */
export function isValidEd25519Point(point: Uint8Array): boolean {
  return point.length === 32 && sodium.crypto_core_ed25519_is_valid_point(point);
}
