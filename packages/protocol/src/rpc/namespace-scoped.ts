import { z } from "zod";
import { namespaceSignatureValue } from "../namespaces.ts";
import type { UserPubkey } from "../pubkey.ts";
import {
  authShape,
  buildAuth,
  jsonParams,
  type NamespaceOrAll,
  namespaceOrAllField,
  parseWith,
  pubkeyField,
  type RequestAuth,
  sigMessage,
  timestampField,
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

/**
 * delete_all, delete_before and expire_all are one shape: the namespace-scoped fields plus one
 * millisecond time field (`timeField`). The request is signed as METHOD ‖ NAMESPACE ‖ TIME and
 * each node signs its answer as PUBKEY_HEX ‖ TIME ‖ HASHES… (ascii-sorted), as oxenss does.
 */
export function scopedTimeMethod<const F extends string>(method: string, timeField: F) {
  type Params = NamespaceScopedParams & Record<F, number>;
  const time = { [timeField]: timestampField } as Record<F, typeof timestampField>;
  const schema = jsonParams(
    z
      .object({ ...namespaceScopedShape, ...time })
      // The generic key defeats zod's inference here; the object schema above guarantees both.
      .transform((v, ctx) => {
        const json = v as unknown as ScopedJson & Record<F, number>;
        return { ...scopedParams(json, ctx), [timeField]: json[timeField] } as Params;
      }),
  );
  return {
    schema,
    parse: (params: unknown): Params => parseWith(schema, params),
    signatureMessage: (namespace: NamespaceOrAll, at: number): Uint8Array =>
      sigMessage(method, namespaceOrAllSignatureValue(namespace), at),
    responseSignatureMessage: (pubkeyHex: string, at: number, hashesSorted: readonly string[]): Uint8Array =>
      sigMessage(pubkeyHex, at, hashesSorted),
  };
}
