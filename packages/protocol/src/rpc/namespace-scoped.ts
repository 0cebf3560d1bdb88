import type { z } from "zod";
import { namespaceSignatureValue } from "../namespaces.ts";
import type { UserPubkey } from "../pubkey.ts";
import {
  authShape,
  buildAuth,
  type NamespaceOrAll,
  namespaceOrAllField,
  pubkeyField,
  type RequestAuth,
} from "./common.ts";

/** "" for the default namespace, "all", or the namespace's decimal form (client_rpc_endpoints.h `signature_value`). */
export const namespaceOrAllSignatureValue: (ns: NamespaceOrAll) => string = namespaceSignatureValue;

/** Optional namespace-or-"all" field defaulting to 0. */
export const optionalNamespaceOrAll = namespaceOrAllField.optional();

/** Sorts hashes by ascii value (std::sort on std::string), as nodes do before signing. */
export function asciiSort(hashes: readonly string[]): string[] {
  return [...hashes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * For namespace="all" results: a `{ namespace: [hashes] }` map. The node signs the hashes
 * totally ordered across namespaces; this returns them in that order.
 */
export function flattenByNamespace(byNs: Record<string, readonly string[]>): string[] {
  return asciiSort(Object.values(byNs).flat());
}

export type DeletedOrUpdated = string[] | Record<string, string[]>;

/** Fields shared by delete_all, delete_before and expire_all (each adds its own time field). */
export const namespaceScopedShape = {
  pubkey: pubkeyField,
  namespace: optionalNamespaceOrAll,
  ...authShape,
};

type ScopedJson = {
  pubkey: UserPubkey;
  namespace?: NamespaceOrAll | undefined;
  signature: Uint8Array;
  pubkey_ed25519?: Uint8Array | undefined;
  subaccount?: string | undefined;
  subaccount_sig?: Uint8Array | undefined;
};

/** Parsed params shared by the namespace-scoped methods. */
export interface NamespaceScopedParams {
  pubkey: UserPubkey;
  /** A namespace, or "all"; 0 when omitted. */
  namespace: NamespaceOrAll;
  auth: RequestAuth;
}

/** The parsed common part: namespace defaults to 0. */
export function scopedParams(v: ScopedJson, ctx: z.RefinementCtx): NamespaceScopedParams {
  return { pubkey: v.pubkey, namespace: v.namespace ?? 0, auth: buildAuth(v, ctx) };
}
