import { fromBase64, fromHex } from "@session/crypto";
import { isValidMessageHash } from "../message-hash.ts";
import { isNoAuthRetrieveNamespace, NAMESPACE_MAX, NAMESPACE_MIN } from "../namespaces.ts";
import { parseUserPubkey } from "../pubkey.ts";
import { isBase64, type RequestAuth } from "./common.ts";
import { MAX_MESSAGE_BODY_BASE64, MIN_TIMESTAMP_MS } from "./limits.ts";
import type { RetrieveParams } from "./retrieve.ts";
import type { StoreParams } from "./store.ts";

/*
 * Fast paths for the two hot methods, store and retrieve: they accept only the plain, canonical
 * form of the params (known keys, no nulls, no legacy aliases, numbers given as numbers, no
 * subaccount) and build exactly what the zod schemas build. Anything else — including every
 * input the schemas would refuse — returns undefined, and the caller runs the schema, which gives
 * the result or the error. Same output either way (src/rpc/fast-params.test.ts compares them).
 */

const HEX66 = /^[0-9a-fA-F]{66}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

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

/**
 * The own enumerable entries (what the schemas read, through jsonParams' Object.entries copy) when
 * every key is one of `allowed` and no value is null; otherwise undefined.
 */
function pick(
  params: Record<string, unknown>,
  allowed: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(params)) {
    const v = params[k];
    if (!allowed.has(k) || v === null) return undefined;
    out[k] = v;
  }
  return out;
}

const isTimestamp = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= MIN_TIMESTAMP_MS;
const isNamespace = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= NAMESPACE_MIN && v <= NAMESPACE_MAX;
const isInt32 = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
const isSignature = (v: unknown): v is string =>
  typeof v === "string" && isBase64(v) && (v.length === 86 || (v.length === 88 && v.endsWith("==")));

/** `signature` + `pubkey_ed25519` (05 accounts only) as buildAuth assembles them, or undefined. */
function accountAuth(params: Record<string, unknown>, pubkeyType: number): RequestAuth | undefined {
  if (!isSignature(params.signature)) return undefined;
  const auth: RequestAuth = { signature: fromBase64(params.signature) };
  const ed = params.pubkey_ed25519;
  if (ed !== undefined) {
    if (typeof ed !== "string" || !HEX64.test(ed) || pubkeyType !== 5) return undefined;
    auth.pubkeyEd25519 = fromHex(ed);
  }
  return auth;
}

/** storeParamsSchema's result for canonical params, or undefined (then run the schema). */
export function fastStoreParams(input: Record<string, unknown>): StoreParams | undefined {
  const params = pick(input, STORE_KEYS);
  if (!params) return undefined;
  const { pubkey, timestamp, ttl, expiry, data, namespace, sig_timestamp } = params;
  if (typeof pubkey !== "string" || !HEX66.test(pubkey) || !isTimestamp(timestamp)) return undefined;
  if ((ttl === undefined) === (expiry === undefined)) return undefined;
  if (ttl !== undefined && !(typeof ttl === "number" && Number.isSafeInteger(ttl) && ttl >= 0))
    return undefined;
  if (expiry !== undefined && !isTimestamp(expiry)) return undefined;
  if (typeof data !== "string" || data.length > MAX_MESSAGE_BODY_BASE64 || !isBase64(data)) return undefined;
  if (namespace !== undefined && !isNamespace(namespace)) return undefined;
  if (sig_timestamp !== undefined && !isTimestamp(sig_timestamp)) return undefined;
  const pk = parseUserPubkey(pubkey);
  let auth: RequestAuth | undefined;
  if (params.signature !== undefined) {
    auth = accountAuth(params, pk.type);
    if (!auth) return undefined;
  } else if (params.pubkey_ed25519 !== undefined) {
    return undefined;
  }
  const out: StoreParams = {
    pubkey: pk,
    namespace: namespace ?? 0,
    timestamp,
    expiry: (expiry as number | undefined) ?? timestamp + ((ttl as number | undefined) ?? 0),
    data: fromBase64(data),
  };
  if (auth) out.auth = { ...auth, sigTimestamp: (sig_timestamp as number | undefined) ?? timestamp };
  return out;
}

/** retrieveParamsSchema's result for canonical params, or undefined (then run the schema). */
export function fastRetrieveParams(input: Record<string, unknown>): RetrieveParams | undefined {
  const params = pick(input, RETRIEVE_KEYS);
  if (!params) return undefined;
  const { pubkey, namespace, last_hash, max_count, max_size, timestamp } = params;
  if (typeof pubkey !== "string" || !HEX66.test(pubkey)) return undefined;
  if (namespace !== undefined && !isNamespace(namespace)) return undefined;
  if (max_count !== undefined && !isInt32(max_count)) return undefined;
  if (max_size !== undefined && !isInt32(max_size)) return undefined;
  if (timestamp !== undefined && !isTimestamp(timestamp)) return undefined;
  if (
    last_hash !== undefined &&
    (typeof last_hash !== "string" || (last_hash !== "" && !isValidMessageHash(last_hash)))
  )
    return undefined;
  const pk = parseUserPubkey(pubkey);
  const out: RetrieveParams = { pubkey: pk, namespace: namespace ?? 0 };
  const needsAuth =
    params.pubkey_ed25519 !== undefined ||
    params.signature !== undefined ||
    timestamp !== undefined ||
    (namespace !== undefined && !isNoAuthRetrieveNamespace(namespace));
  if (needsAuth) {
    if (timestamp === undefined) return undefined;
    const auth = accountAuth(params, pk.type);
    if (!auth) return undefined;
    out.auth = { ...auth, timestamp };
  }
  if (last_hash !== undefined && last_hash !== "") out.lastHash = last_hash as string;
  if (max_count !== undefined) out.maxCount = max_count;
  if (max_size !== undefined) out.maxSize = max_size;
  return out;
}
