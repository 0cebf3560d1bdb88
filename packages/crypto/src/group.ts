import { x25519PkToEd25519 } from "./blinding.ts";
import { concatBytes, utf8Encode } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b, sha512 } from "./hash.ts";
import { sodium } from "./sodium.ts";

/*
 * The cryptographic primitives of libsession's closed groups (session-foundation/libsession-util
 * src/config/encrypt.cpp, src/multi_encrypt.cpp, src/config/groups/keys.cpp), written from their
 * descriptions so outputs match libsession's test vectors (config encryption, shared with the
 * user's own configs, is in ./config-encrypt.ts):
 *  - multi-recipient encryption: one X25519 shared key per recipient, one shared nonce;
 *  - group subaccounts: the admin blinds a member's X25519 key with a per-member factor k and
 *    signs the resulting token; the member signs requests with the blinded scalar.
 */

const NONCE = 24;
const ABYTES = 16;

function multiKey(a: Uint8Array, A: Uint8Array, B: Uint8Array, encrypting: boolean, domain: string) {
  let shared: Uint8Array;
  try {
    shared = sodium.crypto_scalarmult(a, B);
  } catch (cause) {
    throw new CryptoError("INVALID_KEY", "invalid X25519 public key", { cause });
  }
  const d = utf8Encode(domain).subarray(0, 64);
  const [s, r] = encrypting ? [A, B] : [B, A];
  return blake2b(concatBytes(shared, s, r), 32, d);
}

/**
 * libsession encrypt_for_multiple: `message` encrypted once per recipient X25519 key with key
 * H_domain(aB ‖ A ‖ B) and the shared 24-byte nonce. Invalid recipients are skipped.
 */
export function encryptForMultiple(
  message: Uint8Array,
  recipients: readonly Uint8Array[],
  nonce: Uint8Array,
  senderXsk: Uint8Array,
  senderXpk: Uint8Array,
  domain: string,
): Uint8Array[] {
  if (nonce.length !== NONCE) throw new CryptoError("INVALID_INPUT", "nonce must be 24 bytes");
  const out: Uint8Array[] = [];
  for (const r of recipients) {
    let key: Uint8Array;
    try {
      key = multiKey(senderXsk, senderXpk, r, true, domain);
    } catch {
      continue;
    }
    out.push(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, null, null, nonce, key));
  }
  return out;
}

/** The first of `ciphertexts` that opens for this recipient, or undefined. */
export function decryptForMultiple(
  ciphertexts: Iterable<Uint8Array>,
  nonce: Uint8Array,
  xsk: Uint8Array,
  xpk: Uint8Array,
  senderXpk: Uint8Array,
  domain: string,
): Uint8Array | undefined {
  let key: Uint8Array;
  try {
    key = multiKey(xsk, xpk, senderXpk, false, domain);
  } catch {
    return undefined;
  }
  for (const c of ciphertexts) {
    if (c.length < ABYTES) continue;
    try {
      return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, null, nonce, key);
    } catch {}
  }
  return undefined;
}

/** libsession ConfigSig::seed_hash: BLAKE2b-32 of the group seed keyed by `key`. */
export function groupSeedHash(groupSk: Uint8Array, key: string): Uint8Array {
  return blake2b(groupSk.subarray(0, 32), 32, utf8Encode(key).subarray(0, 64));
}

/** The group's X25519 key pair (derived from its Ed25519 key). */
export function groupX25519(groupSk: Uint8Array): { sk: Uint8Array; pk: Uint8Array } {
  return {
    sk: sodium.crypto_sign_ed25519_sk_to_curve25519(groupSk),
    pk: sodium.crypto_sign_ed25519_pk_to_curve25519(groupSk.subarray(32)),
  };
}

/** libsession Keys::subaccount_blind_factor: k = H_{mask}(05 ‖ X ‖ 03 ‖ C) reduced. */
function subaccountBlindFactor(groupSk: Uint8Array, memberX25519: Uint8Array): Uint8Array {
  const mask = groupSeedHash(groupSk, "SessionGroupSubaccountMask");
  const h = blake2b(
    concatBytes(Uint8Array.of(0x05), memberX25519, Uint8Array.of(0x03), groupSk.subarray(32)),
    64,
    mask,
  );
  return sodium.crypto_core_ed25519_scalar_reduce(h);
}

const SubaccountFlags = { Read: 1, Write: 2, Delete: 4, AnyPrefix: 8 } as const;

/**
 * libsession Keys::swarm_make_subaccount: 03 ‖ flags ‖ 00 00 ‖ k ‖ sig, where sig is the group
 * key's signature of the token 03 ‖ flags ‖ 00 00 ‖ kT (T = the member's xed25519 pubkey). Given
 * to an invited member; only that member can sign with kT.
 */
export function makeGroupSubaccount(
  groupSk: Uint8Array,
  memberX25519: Uint8Array,
  opts: { write?: boolean; del?: boolean } = {},
): Uint8Array {
  const k = subaccountBlindFactor(groupSk, memberX25519);
  const kT = sodium.crypto_scalarmult_ed25519_noclamp(k, x25519PkToEd25519(memberX25519));
  const head = Uint8Array.of(
    0x03,
    SubaccountFlags.Read | (opts.write ? SubaccountFlags.Write : 0) | (opts.del ? SubaccountFlags.Delete : 0),
    0,
    0,
  );
  const sig = sodium.crypto_sign_detached(concatBytes(head, kT), groupSk);
  return concatBytes(head, k, sig);
}

/** The 36-byte subaccount token (03 ‖ flags ‖ 00 00 ‖ kT) an admin revokes for a member. */
export function groupSubaccountToken(
  groupSk: Uint8Array,
  memberX25519: Uint8Array,
  opts: { write?: boolean; del?: boolean } = {},
): Uint8Array {
  const sv = makeGroupSubaccount(groupSk, memberX25519, opts);
  return concatBytes(
    sv.subarray(0, 4),
    sodium.crypto_scalarmult_ed25519_noclamp(sv.subarray(4, 36), x25519PkToEd25519(memberX25519)),
  );
}

interface SubaccountAuth {
  token: Uint8Array;
  /** The group key's signature of the token. */
  tokenSignature: Uint8Array;
  /** The request signature by the blinded key kT. */
  signature: Uint8Array;
}

/** libsession Keys::swarm_subaccount_sign: the member signs `message` with scalar k·(±a). */
export function groupSubaccountSign(
  memberEd25519Sk: Uint8Array,
  signingValue: Uint8Array,
  message: Uint8Array,
): SubaccountAuth {
  if (signingValue.length !== 100)
    throw new CryptoError("INVALID_INPUT", "subaccount value must be 100 bytes");
  const k = signingValue.subarray(4, 36);
  const T = memberEd25519Sk.slice(32, 64);
  const neg = (T[31]! & 0x80) !== 0;
  T[31]! &= 0x7f;
  const kT = sodium.crypto_scalarmult_ed25519_noclamp(k, T);
  const token = concatBytes(signingValue.subarray(0, 4), kT);
  let s = sodium.crypto_sign_ed25519_sk_to_curve25519(memberEd25519Sk);
  if (neg) s = sodium.crypto_core_ed25519_scalar_negate(s);
  const kt = sodium.crypto_core_ed25519_scalar_mul(k, s);
  const hseed = blake2b(memberEd25519Sk.subarray(0, 32), 32, utf8Encode("SubaccountSeed"));
  const r = sodium.crypto_core_ed25519_scalar_reduce(
    blake2b(concatBytes(hseed, kT, message), 64, utf8Encode("SubaccountSig")),
  );
  const R = sodium.crypto_scalarmult_ed25519_base_noclamp(r);
  const hram = sodium.crypto_core_ed25519_scalar_reduce(sha512(concatBytes(R, kT, message)));
  const S = sodium.crypto_core_ed25519_scalar_add(sodium.crypto_core_ed25519_scalar_mul(hram, kt), r);
  return { token, tokenSignature: signingValue.slice(36), signature: concatBytes(R, S) };
}

/** XChaCha20-Poly1305 (IETF) with a caller-given nonce: ciphertext ‖ tag. */
export function xchachaSealWithNonce(key: Uint8Array, nonce: Uint8Array, message: Uint8Array): Uint8Array {
  return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, null, null, nonce, key);
}

/** Opens `xchachaSealWithNonce` output; undefined when it does not authenticate. */
export function xchachaOpenWithNonce(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array | undefined {
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, null, nonce, key);
  } catch {
    return undefined;
  }
}

/** libsodium randombytes_buf_deterministic (for libsession's deterministic junk key entries). */
export function deterministicBytes(length: number, seed: Uint8Array): Uint8Array {
  return sodium.randombytes_buf_deterministic(length, seed);
}
