import { z } from "zod";
import { namespaceSignatureValue } from "../namespaces.ts";
import { type NamespaceOrAll, namespaceOrAllField, pubkeyField, timestampField } from "./common.ts";
import { methodParams } from "./method-params.ts";
import { type AuthJson, authShape, type SignedParams, signedParams } from "./request-auth.ts";
import { sigMessage } from "./sig-message.ts";

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

type ScopedJson = AuthJson & { namespace?: NamespaceOrAll | undefined };

/** Parsed params shared by the namespace-scoped methods. */
export interface NamespaceScopedParams extends SignedParams {
  /** A namespace, or "all"; 0 when omitted. */
  namespace: NamespaceOrAll;
}

/** The parsed common part: namespace defaults to 0. */
export function scopedParams(v: ScopedJson, ctx: z.RefinementCtx): NamespaceScopedParams {
  return { ...signedParams(v, ctx), namespace: v.namespace ?? 0 };
}

/**
 * delete_all, delete_before and expire_all (below) are one shape: the namespace-scoped fields
 * plus one millisecond time field (`timeField`). The request is signed as METHOD ‖ NAMESPACE ‖ TIME and
 * each node signs its answer as PUBKEY_HEX ‖ TIME ‖ HASHES… (ascii-sorted), as oxenss does.
 */
export function scopedTimeMethod<const F extends string>(method: string, timeField: F) {
  type Params = NamespaceScopedParams & Record<F, number>;
  const time = { [timeField]: timestampField } as Record<F, typeof timestampField>;
  const { schema, parse } = methodParams(
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
    parse,
    signatureMessage: (namespace: NamespaceOrAll, at: number): Uint8Array =>
      sigMessage(method, namespaceOrAllSignatureValue(namespace), at),
    responseSignatureMessage: (pubkeyHex: string, at: number, hashesSorted: readonly string[]): Uint8Array =>
      sigMessage(pubkeyHex, at, hashesSorted),
  };
}

/**
 * `delete_all`: delete every message of a namespace (or of all namespaces), swarm-wide. Signed
 * "delete_all" ‖ NAMESPACE ‖ TIMESTAMP; each member answers `deleted` (DeletedOrUpdated), signed
 * PUBKEY_HEX ‖ TIMESTAMP ‖ DELETED… (ascii-sorted across all namespaces).
 */
export const deleteAll = scopedTimeMethod("delete_all", "timestamp");

/**
 * `delete_before`: delete messages with timestamp <= `before`, swarm-wide. Signed
 * "delete_before" ‖ NAMESPACE ‖ BEFORE; members answer `deleted`, signed PUBKEY_HEX ‖ BEFORE ‖ DELETED….
 */
export const deleteBefore = scopedTimeMethod("delete_before", "before");

/**
 * `expire_all`: shorten (never extend) the expiry of every message in a namespace or all. Signed
 * "expire_all" ‖ NAMESPACE ‖ EXPIRY; members answer `updated`, signed PUBKEY_HEX ‖ EXPIRY ‖ UPDATED….
 */
export const expireAll = scopedTimeMethod("expire_all", "expiry");

// The node signs its answers with these (apps/node).
export const deleteAllResponseSignatureMessage = deleteAll.responseSignatureMessage;
export const deleteBeforeResponseSignatureMessage = deleteBefore.responseSignatureMessage;
export const expireAllResponseSignatureMessage = expireAll.responseSignatureMessage;
