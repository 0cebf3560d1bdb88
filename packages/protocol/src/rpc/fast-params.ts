// A zod-free parse of the storage RPC's two commonest requests, a well-formed retrieve and store.
// In the node's request path zod's generic object parse costs about a tenth of a retrieve's CPU
// (A/B in apps/node's README); this reads the usual shapes directly and leaves everything else —
// any missing, extra, null, aliased or invalid field, a stringified number, a subaccount — to the
// schema, which then parses it and words its errors as before. Property tests
// (fast-params.test.ts) check that whatever this accepts, the schema accepts with an equal result.
import { decodeCheckedBase64, fromHex } from "@session/crypto";
import { isValidMessageHash } from "../message-hash.ts";
import { isNoAuthRetrieveNamespace, NAMESPACE_MAX, NAMESPACE_MIN } from "../namespaces.ts";
import { parseUserPubkey, type UserPubkey } from "../pubkey.ts";
import { isBase64 } from "./common.ts";
import { MAX_MESSAGE_BODY_BASE64, MIN_TIMESTAMP_MS } from "./limits.ts";
import type { RequestAuth } from "./request-auth.ts";
import type { RetrieveParams } from "./retrieve.ts";
import type { StoreParams } from "./store.ts";

const RETRIEVE_KEYS = new Set([
  "pubkey",
  "namespace",
  "last_hash",
  "max_count",
  "max_size",
  "timestamp",
  "signature",
  "pubkey_ed25519",
]);
const HEX66 = /^[0-9a-fA-F]{66}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

/** A plain object (as JSON.parse makes them) whose enumerable keys are all its own and in `keys`. */
function plainWith(p: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  if (Object.getPrototypeOf(p) !== Object.prototype) return false;
  for (const k in p) if (!keys.has(k) || !Object.hasOwn(p, k)) return false;
  return true;
}

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

const isInt32 = (v: unknown): v is number => isInt(v, -2147483648, 2147483647);
const isTimestamp = (v: unknown): v is number => isInt(v, MIN_TIMESTAMP_MS, Number.MAX_SAFE_INTEGER);

const isSignature = (v: unknown): v is string =>
  typeof v === "string" && (v.length === 86 || (v.length === 88 && v.endsWith("=="))) && isBase64(v);

/**
 * The account (`pubkey`) when it and the auth fields given (`signature`, `pubkey_ed25519`) are
 * well-formed; undefined otherwise.
 */
function accountFields(pk: unknown, signature: unknown, ed: unknown): UserPubkey | undefined {
  if (typeof pk !== "string" || !HEX66.test(pk)) return undefined;
  if (signature !== undefined && !isSignature(signature)) return undefined;
  if (ed !== undefined && (typeof ed !== "string" || !HEX64.test(ed))) return undefined;
  try {
    return parseUserPubkey(pk);
  } catch {
    return undefined;
  }
}

/**
 * The signature (and the 05 account's `pubkey_ed25519`) as the schema's buildAuth gives them, for
 * fields accountFields accepted; undefined where the schema refuses `pubkey_ed25519` (an account
 * other than 05).
 */
function signedBy(pubkey: UserPubkey, signature: unknown, ed: unknown): RequestAuth | undefined {
  if (ed !== undefined && pubkey.type !== 5) return undefined;
  const auth: RequestAuth = { signature: decodeCheckedBase64(signature as string) };
  if (ed !== undefined) auth.pubkeyEd25519 = fromHex(ed as string);
  return auth;
}

/** The retrieve params the schema would give for `p`, or undefined to leave `p` to the schema. */
export function fastRetrieveParams(p: Record<string, unknown>): RetrieveParams | undefined {
  if (!plainWith(p, RETRIEVE_KEYS)) return undefined;
  const { pubkey: pk, namespace, last_hash, max_count, max_size, timestamp, signature } = p;
  const ed = p.pubkey_ed25519;
  if (namespace !== undefined && !isInt(namespace, NAMESPACE_MIN, NAMESPACE_MAX)) return undefined;
  if (
    last_hash !== undefined &&
    (typeof last_hash !== "string" || (last_hash !== "" && !isValidMessageHash(last_hash)))
  )
    return undefined;
  if (max_count !== undefined && !isInt32(max_count)) return undefined;
  if (max_size !== undefined && !isInt32(max_size)) return undefined;
  if (timestamp !== undefined && !isTimestamp(timestamp)) return undefined;
  const pubkey = accountFields(pk, signature, ed);
  if (!pubkey) return undefined;
  const out: RetrieveParams = { pubkey, namespace: namespace ?? 0 };
  const needsAuth =
    ed !== undefined ||
    signature !== undefined ||
    timestamp !== undefined ||
    (namespace !== undefined && !isNoAuthRetrieveNamespace(namespace));
  if (needsAuth) {
    if (signature === undefined || timestamp === undefined) return undefined;
    const auth = signedBy(pubkey, signature, ed);
    if (!auth) return undefined;
    // Not `{ ...auth, timestamp }`: on Node 20's V8 a spread followed by a new key builds a hidden
    // class per call, in old space (apps/node/README.md, "Garbage the old generation collects").
    out.auth = Object.assign(auth, { timestamp });
  }
  if (last_hash !== undefined && last_hash !== "") out.lastHash = last_hash;
  if (max_count !== undefined) out.maxCount = max_count;
  if (max_size !== undefined) out.maxSize = max_size;
  return out;
}

const STORE_KEYS = new Set([
  "pubkey",
  "timestamp",
  "ttl",
  "expiry",
  "data",
  "namespace",
  "sig_timestamp",
  "signature",
  "pubkey_ed25519",
]);

/** The store params the schema would give for `p`, or undefined to leave `p` to the schema. */
export function fastStoreParams(p: Record<string, unknown>): StoreParams | undefined {
  if (!plainWith(p, STORE_KEYS)) return undefined;
  const { pubkey: pk, timestamp, ttl, expiry, data, namespace, sig_timestamp, signature } = p;
  const ed = p.pubkey_ed25519;
  if (!isTimestamp(timestamp)) return undefined;
  // Exactly one of them (the schema words both refusals).
  if (ttl === undefined) {
    if (!isTimestamp(expiry)) return undefined;
  } else if (expiry !== undefined || !isInt(ttl, 0, Number.MAX_SAFE_INTEGER)) return undefined;
  if (typeof data !== "string" || data.length > MAX_MESSAGE_BODY_BASE64 || !isBase64(data)) return undefined;
  if (namespace !== undefined && !isInt(namespace, NAMESPACE_MIN, NAMESPACE_MAX)) return undefined;
  if (sig_timestamp !== undefined && !isTimestamp(sig_timestamp)) return undefined;
  const pubkey = accountFields(pk, signature, ed);
  if (!pubkey) return undefined;
  // Checked before the data is decoded: a refusal here costs nothing more.
  const auth = signature === undefined ? undefined : signedBy(pubkey, signature, ed);
  if (signature !== undefined && !auth) return undefined;
  const out: StoreParams = {
    pubkey,
    namespace: namespace ?? 0,
    timestamp,
    expiry: expiry ?? timestamp + (ttl as number),
    data: decodeCheckedBase64(data),
  };
  // Not a spread (see fastRetrieveParams).
  if (auth) out.auth = Object.assign(auth, { sigTimestamp: sig_timestamp ?? timestamp });
  return out;
}
