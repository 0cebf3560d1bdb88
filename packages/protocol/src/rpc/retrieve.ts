import { z } from "zod";
import { isValidMessageHash } from "../message-hash.ts";
import { isNoAuthRetrieveNamespace, namespaceSignatureValue } from "../namespaces.ts";
import type { UserPubkey } from "../pubkey.ts";
import { namespaceField, pubkeyField, timestampField } from "./common.ts";
import { methodParams } from "./method-params.ts";
import { authShape, buildAuth, type RequestAuth } from "./request-auth.ts";
import type { MiscResponseFields } from "./responses.ts";
import { sigMessage } from "./sig-message.ts";

/** `retrieve`: fetch messages of one namespace (client_rpc_endpoints.h `retrieve`). */
export interface RetrieveParams {
  pubkey: UserPubkey;
  namespace: number;
  /** Return messages stored after this one; absent = from the start. */
  lastHash?: string;
  maxCount?: number;
  /** Bytes if positive; -n means 1/n of RETRIEVE_MAX_SIZE (see effectiveRetrieveLimits). */
  maxSize?: number;
  /** Present when signed; required except for no-auth namespaces (see isNoAuthRetrieveNamespace). */
  auth?: RequestAuth & { timestamp: number };
}

const int32 = z.number().int().min(-2147483648).max(2147483647);

const params = methodParams(
  z
    .object({
      pubkey: pubkeyField,
      namespace: namespaceField.optional(),
      last_hash: z.string().optional(),
      max_count: int32.optional(),
      max_size: int32.optional(),
      timestamp: timestampField.optional(),
      ...authShape,
      signature: authShape.signature.optional(),
    })
    .transform((v, ctx): RetrieveParams => {
      const out: RetrieveParams = { pubkey: v.pubkey, namespace: v.namespace ?? 0 };
      // As the server: any auth field present, or a namespace that needs auth, makes auth mandatory.
      const needsAuth =
        v.pubkey_ed25519 !== undefined ||
        v.signature !== undefined ||
        v.timestamp !== undefined ||
        (v.namespace !== undefined && !isNoAuthRetrieveNamespace(v.namespace));
      if (needsAuth) {
        if (!v.signature)
          ctx.addIssue({
            code: "custom",
            path: ["signature"],
            message: "Required field 'signature' missing",
          });
        if (v.timestamp === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["timestamp"],
            message: "Required field 'timestamp' missing",
          });
        }
        if (v.signature && v.timestamp !== undefined) {
          out.auth = { ...buildAuth({ ...v, signature: v.signature }, ctx), timestamp: v.timestamp };
        }
      }
      if (v.last_hash !== undefined && v.last_hash !== "") {
        if (v.last_hash.length !== 43) {
          ctx.addIssue({
            code: "custom",
            path: ["last_hash"],
            message: "Invalid last_hash: expected base64 (43 chars)",
          });
        } else if (!isValidMessageHash(v.last_hash)) {
          ctx.addIssue({ code: "custom", path: ["last_hash"], message: "Invalid last_hash: not base64" });
        } else out.lastHash = v.last_hash;
      }
      if (v.max_count !== undefined) out.maxCount = v.max_count;
      if (v.max_size !== undefined) out.maxSize = v.max_size;
      return out;
    }),
  { pubKey: "pubkey", lastHash: "last_hash" },
);

export const retrieveParamsSchema = params.schema;
export type RetrieveParamsJson = z.input<typeof retrieveParamsSchema>;
export const parseRetrieveParams: (params: unknown) => RetrieveParams = params.parse;

/** "retrieve" ‖ NAMESPACE ‖ TIMESTAMP, NAMESPACE empty for 0. */
export function retrieveSignatureMessage(namespace: number, timestamp: number): Uint8Array {
  return sigMessage("retrieve", namespaceSignatureValue(namespace), timestamp);
}

export interface RetrievedMessage {
  hash: string;
  /** Deposit timestamp (ms). */
  timestamp: number;
  /** Current expiry (ms); the real server names this field `expiration`. */
  expiration: number;
  /** base64 message data. */
  data: string;
}

export interface RetrieveResponse extends MiscResponseFields {
  messages: RetrievedMessage[];
  /** True when the limits truncated the result. */
  more: boolean;
}
