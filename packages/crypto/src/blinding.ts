import { concatBytes, fromHex, toHex } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { blake2b } from "./hash.ts";
import { parseSessionId, SessionIdPrefix } from "./session-id.ts";
import { sodium } from "./sodium.ts";

/*
 * Community-blinded IDs (libsession src/blinding.cpp). The X25519 key of a 05 Session ID is mapped
 * back to its Ed25519 key with the positive sign (XEdDSA convention), then multiplied by a
 * server-specific scalar k:
 *   15-blinding: k = reduce(BLAKE2b-512(server_pk))
 *   25-blinding: k = reduce(BLAKE2b-512(05 ‖ x25519_pk ‖ server_pk))
 * The blinded ID is the prefix byte ‖ k·A. For 15-blinding the sign of A is unknown to others, so
 * both k·A and its negation (top bit flipped) are candidates.
 */

const P = (1n << 255n) - 19n;

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % P;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function bytesToBigLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function bigToBytesLE(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Ed25519 public key (positive sign) corresponding to an X25519 public key: y = (u−1)/(u+1). */
export function x25519PkToEd25519(x25519Pk: Uint8Array): Uint8Array {
  if (x25519Pk.length !== 32) throw new CryptoError("INVALID_KEY", "X25519 public key must be 32 bytes");
  const u = bytesToBigLE(x25519Pk) & ((1n << 255n) - 1n);
  const denom = (u + 1n) % P;
  if (denom === 0n) throw new CryptoError("INVALID_KEY", "X25519 key has no Ed25519 equivalent");
  const y = (((u - 1n + P) % P) * modPow(denom, P - 2n)) % P;
  return bigToBytesLE(y); // top bit (sign of x) left 0: the positive key
}

function serverKey(serverPk: string | Uint8Array): Uint8Array {
  const pk = typeof serverPk === "string" ? fromHex(serverPk) : serverPk;
  if (pk.length !== 32) throw new CryptoError("INVALID_KEY", "server public key must be 32 bytes");
  return pk;
}

function standardKey(sessionId: string): Uint8Array {
  const parsed = parseSessionId(sessionId);
  if (parsed.prefix !== SessionIdPrefix.Standard) {
    throw new CryptoError("INVALID_SESSION_ID", "only 05 Session IDs can be blinded");
  }
  return parsed.publicKey;
}

function blind15Factor(serverPk: string | Uint8Array): Uint8Array {
  return sodium.crypto_core_ed25519_scalar_reduce(blake2b(serverKey(serverPk), 64));
}

function blind25Factor(sessionId: string, serverPk: string | Uint8Array): Uint8Array {
  const x = standardKey(sessionId);
  return sodium.crypto_core_ed25519_scalar_reduce(
    blake2b(concatBytes(Uint8Array.of(0x05), x, serverKey(serverPk)), 64),
  );
}

function multiply(k: Uint8Array, edPk: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_scalarmult_ed25519_noclamp(k, edPk);
  } catch (cause) {
    throw new CryptoError("INVALID_SESSION_ID", "cannot blind: key is not on the main subgroup", { cause });
  }
}

/** Both 15-blinded candidates for a Session ID on a server: [k·A, −(k·A)], hex with 15 prefix. */
export function blind15Ids(sessionId: string, serverPk: string | Uint8Array): [string, string] {
  const blinded = multiply(blind15Factor(serverPk), x25519PkToEd25519(standardKey(sessionId)));
  const negated = blinded.slice();
  negated[31] = negated[31]! ^ 0x80;
  return [`15${toHex(blinded)}`, `15${toHex(negated)}`];
}

/** The 15-blinded ID computed from the positive Ed25519 key (libsession `blind15_id`, bytes form). */
export function blind15Id(sessionId: string, serverPk: string | Uint8Array): string {
  return blind15Ids(sessionId, serverPk)[0];
}

/** The 25-blinded ID of a Session ID on a server (unique: no sign ambiguity). */
export function blind25Id(sessionId: string, serverPk: string | Uint8Array): string {
  const blinded = multiply(blind25Factor(sessionId, serverPk), x25519PkToEd25519(standardKey(sessionId)));
  return `25${toHex(blinded)}`;
}

/** True when `blindedId` (15 or 25) belongs to `sessionId` on the server with `serverPk`. */
export function sessionIdMatchesBlinded(
  sessionId: string,
  blindedId: string,
  serverPk: string | Uint8Array,
): boolean {
  try {
    const id = blindedId.toLowerCase();
    if (id.startsWith("15")) return blind15Ids(sessionId, serverPk).includes(id);
    if (id.startsWith("25")) return blind25Id(sessionId, serverPk) === id;
    return false;
  } catch {
    return false;
  }
}
