import { equalBytes } from "@session/crypto";
import { errorTable, ProtocolError } from "../errors.ts";
import {
  isNoAuthRetrieveNamespace,
  isPublicInboxNamespace,
  isPublicOutboxNamespace,
  isUnrevocableNamespace,
} from "../namespaces.ts";
import type { UserPubkey } from "../pubkey.ts";
import type { RequestAuth } from "./common.ts";
import { deleteSignatureMessage } from "./delete.ts";
import { deleteAllSignatureMessage } from "./delete-all.ts";
import { deleteBeforeSignatureMessage } from "./delete-before.ts";
import { expireSignatureMessage } from "./expire.ts";
import { expireAllSignatureMessage } from "./expire-all.ts";
import { getExpiriesSignatureMessage } from "./get-expiries.ts";
import { retrieveSignatureMessage } from "./retrieve.ts";
import { storeSignatureMessage } from "./store.ts";
import {
  decodeSubaccountToken,
  revokeSubaccountSignatureMessage,
  SubaccountAccess,
  subaccountAllows,
  unrevokeSubaccountSignatureMessage,
} from "./subaccount-revocation.ts";
import type { RpcSubrequest } from "./subrequest.ts";

/** The signature primitives auth checking needs (supplied by @session/crypto or libsodium). */
export interface SignatureVerifier {
  /** Ed25519 detached signature check. */
  verify(signature: Uint8Array, message: Uint8Array, ed25519Pubkey: Uint8Array): boolean;
  /** Ed25519 pubkey → X25519 pubkey (crypto_sign_ed25519_pk_to_curve25519); null if invalid. */
  ed25519PubkeyToX25519(ed25519Pubkey: Uint8Array): Uint8Array | null;
}

/** What a request must prove to be accepted, derived from its method and params. */
export interface AuthRequirement {
  pubkey: UserPubkey;
  auth: RequestAuth;
  /** The exact bytes the client signed. */
  message: Uint8Array;
  /** Subaccount permission bits needed (SubaccountAccess); subaccounts are refused when null. */
  requiredAccess: number | null;
  /** Revoked subaccounts may still be used (retrieve from unrevocable namespaces). */
  skipRevokeCheck: boolean;
  /**
   * The text a failed check answers (oxenss's body, e.g. "retrieve signature verification
   * failed"); every failure of one method reads the same there. Default "signature verification failed".
   */
  failure?: string;
}

/**
 * The signature a parsed request carries and what it must cover, following the
 * verify_signature calls in oxenss/rpc/request_handler.cpp. Returns null when the request
 * carries no signature and needs none (unauthenticated store to a public inbox, retrieve from a
 * no-auth namespace, get_swarm, info, oxend_request). Throws UNAUTHORIZED when a required
 * signature is missing.
 */
export function authRequirementFor(req: RpcSubrequest): AuthRequirement | null {
  switch (req.method) {
    case "store": {
      const p = req.params;
      if (isPublicInboxNamespace(p.namespace)) return null;
      if (!p.auth) {
        throw new ProtocolError(
          "UNAUTHORIZED",
          `store: signature required to store to namespace ${p.namespace}`,
        );
      }
      const access = isPublicOutboxNamespace(p.namespace)
        ? SubaccountAccess.Write | SubaccountAccess.Delete
        : SubaccountAccess.Write;
      return {
        pubkey: p.pubkey,
        auth: p.auth,
        message: storeSignatureMessage(p.namespace, p.auth.sigTimestamp),
        requiredAccess: access,
        skipRevokeCheck: false,
        failure: "store signature verification failed",
      };
    }
    case "retrieve": {
      const p = req.params;
      if (!p.auth) {
        if (isNoAuthRetrieveNamespace(p.namespace)) return null;
        throw new ProtocolError("UNAUTHORIZED", "retrieve: request signature required");
      }
      return {
        pubkey: p.pubkey,
        auth: p.auth,
        message: retrieveSignatureMessage(p.namespace, p.auth.timestamp),
        requiredAccess: SubaccountAccess.Read,
        skipRevokeCheck: isUnrevocableNamespace(p.namespace),
        failure: "retrieve signature verification failed",
      };
    }
    case "delete":
      return req0(
        req.params,
        deleteSignatureMessage(req.params.messages),
        SubaccountAccess.Delete,
        "delete_msgs signature verification failed",
      );
    case "delete_all":
      return req0(
        req.params,
        deleteAllSignatureMessage(req.params.namespace, req.params.timestamp),
        SubaccountAccess.Delete,
        "delete_all signature verification failed",
      );
    case "delete_before":
      return req0(
        req.params,
        deleteBeforeSignatureMessage(req.params.namespace, req.params.before),
        SubaccountAccess.Delete,
        "delete_before signature verification failed",
      );
    case "expire_all":
      return req0(
        req.params,
        expireAllSignatureMessage(req.params.namespace, req.params.expiry),
        SubaccountAccess.Delete,
        "expire_all signature verification failed",
      );
    case "expire":
      return req0(
        req.params,
        expireSignatureMessage(req.params),
        SubaccountAccess.Write,
        "expire: signature verification failed",
      );
    case "get_expiries":
      return req0(
        req.params,
        getExpiriesSignatureMessage(req.params.timestamp, req.params.messages),
        SubaccountAccess.Read,
        "get_expiries signature verification failed",
      );
    case "revoke_subaccount":
      return {
        pubkey: req.params.pubkey,
        auth: req.params.auth,
        message: revokeSubaccountSignatureMessage(req.params.timestamp, req.params.tokens),
        requiredAccess: null,
        skipRevokeCheck: true,
        failure: "revoke_subaccount signature verification failed",
      };
    case "unrevoke_subaccount":
      return {
        pubkey: req.params.pubkey,
        auth: req.params.auth,
        message: unrevokeSubaccountSignatureMessage(req.params.timestamp, req.params.tokens),
        requiredAccess: null,
        skipRevokeCheck: true,
        failure: "unrevoke_subaccount signature verification failed",
      };
    case "get_swarm":
    case "info":
    case "oxend_request":
      return null;
  }
}

function req0(
  p: { pubkey: UserPubkey; auth: RequestAuth },
  message: Uint8Array,
  access: number,
  failure: string,
): AuthRequirement {
  return { pubkey: p.pubkey, auth: p.auth, message, requiredAccess: access, skipRevokeCheck: false, failure };
}

export interface VerifyAuthOptions {
  /** True if the account has revoked this subaccount token. */
  isSubaccountRevoked?: (pubkey: UserPubkey, token: Uint8Array) => boolean;
}

/**
 * Checks a request signature as oxenss verify_signature does; throws BAD_SIGNATURE (401) or
 * SUBACCOUNT_REVOKED (401):
 *  - 05 accounts with `pubkey_ed25519`: that key signs, and must convert to the X25519 pubkey;
 *    otherwise the account key itself is the Ed25519 key (03 groups, blinded ids);
 *  - with a subaccount: not revoked (unless allowed), right network prefix, required permission
 *    bits, token signed by the account key; then the token's key must have signed the request.
 */
export function verifyAuth(
  verifier: SignatureVerifier,
  req: AuthRequirement,
  opts: VerifyAuthOptions = {},
): void {
  const { pubkey, auth } = req;
  // The body oxenss answers for any failure; why it failed stays in the error's details.
  const fail = (code: "BAD_SIGNATURE" | "SUBACCOUNT_REVOKED", reason: string) =>
    new ProtocolError(code, req.failure ?? errorTable.BAD_SIGNATURE.message, { reason });
  let signer: Uint8Array = pubkey.key;
  if (pubkey.type === 5 && auth.pubkeyEd25519) {
    const x = verifier.ed25519PubkeyToX25519(auth.pubkeyEd25519);
    if (!x || !equalBytes(x, pubkey.key)) {
      throw fail("BAD_SIGNATURE", "pubkey_ed25519 does not match pubkey");
    }
    signer = auth.pubkeyEd25519;
  }
  if (auth.subaccount) {
    if (req.requiredAccess === null) {
      throw fail("BAD_SIGNATURE", "subaccount authentication is not allowed for this method");
    }
    if (!req.skipRevokeCheck && opts.isSubaccountRevoked?.(pubkey, auth.subaccount.token)) {
      throw fail("SUBACCOUNT_REVOKED", errorTable.SUBACCOUNT_REVOKED.message);
    }
    const token = decodeSubaccountToken(auth.subaccount.token);
    if (!subaccountAllows(token, pubkey.type, req.requiredAccess)) {
      throw fail("BAD_SIGNATURE", "subaccount token lacks the required network prefix or permission");
    }
    if (!verifier.verify(auth.subaccount.signature, auth.subaccount.token, signer)) {
      throw fail("BAD_SIGNATURE", "subaccount token signature verification failed");
    }
    signer = token.pubkey;
  }
  if (!verifier.verify(auth.signature, req.message, signer)) {
    throw fail("BAD_SIGNATURE", "request signature does not verify");
  }
}
