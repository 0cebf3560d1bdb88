import { decodeCheckedBase64 } from "@session/crypto";
import { z } from "zod";
import { namespaceSignatureValue } from "../namespaces.ts";
import type { UserPubkey } from "../pubkey.ts";
import {
  isBase64,
  namespaceField,
  pubkeyField,
  stringifiedTimestampField,
  timestampField,
  ttlField,
} from "./common.ts";
import { MAX_MESSAGE_BODY, MAX_MESSAGE_BODY_BASE64 } from "./limits.ts";
import { methodParams } from "./method-params.ts";
import { authShape, buildAuth, type RequestAuth } from "./request-auth.ts";
import type { SwarmResponse } from "./responses.ts";
import { sigMessage } from "./sig-message.ts";

/** `store`: deposit a message in an account's swarm (client_rpc_endpoints.h `store`). */
export interface StoreParams {
  pubkey: UserPubkey;
  namespace: number;
  /** Message timestamp (ms). */
  timestamp: number;
  /** Absolute expiry (ms): `expiry`, or `timestamp + ttl`. */
  expiry: number;
  data: Uint8Array;
  /** Present when the request was signed (required for namespaces not divisible by 10). */
  auth?: RequestAuth & { sigTimestamp: number };
}

const params = methodParams(
  z
    .object({
      pubkey: pubkeyField,
      timestamp: stringifiedTimestampField,
      ttl: ttlField.optional(),
      expiry: timestampField.optional(),
      data: z.string({ error: "Required field 'data' missing" }),
      namespace: namespaceField.optional(),
      sig_timestamp: timestampField.optional(),
      ...authShape,
      signature: authShape.signature.optional(),
    })
    .transform((v, ctx): StoreParams => {
      if (v.ttl !== undefined && v.expiry !== undefined) {
        ctx.addIssue({ code: "custom", path: ["expiry"], message: "Cannot specify both 'expiry' and 'ttl'" });
      }
      if (v.ttl === undefined && v.expiry === undefined) {
        ctx.addIssue({ code: "custom", path: ["ttl"], message: "Required field 'expiry' or 'ttl' missing" });
      }
      let data: Uint8Array = new Uint8Array(0);
      if (!isBase64(v.data)) {
        ctx.addIssue({ code: "custom", path: ["data"], message: "Invalid 'data' value: not base64 encoded" });
      } else if (v.data.length > MAX_MESSAGE_BODY_BASE64) {
        ctx.addIssue({
          code: "custom",
          path: ["data"],
          // A parse error in oxenss (400), not a 413.
          message: `Message body exceeds maximum allowed length of ${MAX_MESSAGE_BODY} bytes`,
        });
      } else {
        // Checked just above: decode once, without fromBase64's second scan.
        data = decodeCheckedBase64(v.data);
      }
      const out: StoreParams = {
        pubkey: v.pubkey,
        namespace: v.namespace ?? 0,
        timestamp: v.timestamp,
        expiry: v.expiry ?? v.timestamp + (v.ttl ?? 0),
        data,
      };
      if (v.signature) {
        const auth = buildAuth({ ...v, signature: v.signature }, ctx);
        out.auth = { ...auth, sigTimestamp: v.sig_timestamp ?? v.timestamp };
      }
      return out;
    }),
  { pubKey: "pubkey" },
);

export const storeParamsSchema = params.schema;
export type StoreParamsJson = z.input<typeof storeParamsSchema>;
export const parseStoreParams: (params: unknown) => StoreParams = params.parse;

/** What the account signs to store into an authenticated namespace: "store" ‖ NAMESPACE ‖ SIG_TIMESTAMP. */
export function storeSignatureMessage(namespace: number, sigTimestamp: number): Uint8Array {
  return sigMessage("store", namespaceSignatureValue(namespace), sigTimestamp);
}

/** What each swarm member signs in its store reply: the message hash string itself. */
export function storeResponseSignatureMessage(hash: string): Uint8Array {
  return sigMessage(hash);
}

export interface StoreSwarmEntry {
  hash: string;
  /** base64 signature of `hash` by the member's Ed25519 key. */
  signature: string;
  /** The stored message's expiry (ms). */
  expiry: number;
  /** True if the message was already stored. */
  already?: boolean;
}

export interface StoreResponse extends SwarmResponse<StoreSwarmEntry> {
  /** Deprecated top-level copy of the hash (the real server still sends it). */
  hash?: string;
}
