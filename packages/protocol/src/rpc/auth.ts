import { equalBytes } from "@session/crypto";
import { errorTable, ProtocolError } from "../errors.ts";
import {
  isNoAuthRetrieveNamespace,
  isPublicInboxNamespace,
  isPublicOutboxNamespace,
  isUnrevocableNamespace,
} from "../namespaces.ts";
import type { UserPubkey } from "../pubkey.ts";
import { deleteSignatureMessage } from "./delete.ts";
import { expireSignatureMessage } from "./expire.ts";
import { getExpiriesSignatureMessage } from "./get-expiries.ts";
import { deleteAll, deleteBefore, expireAll } from "./namespace-scoped.ts";
import type { SignedParams } from "./request-auth.ts";
import { retrieveSignatureMessage } from "./retrieve.ts";
import { storeSignatureMessage } from "./store.ts";
import {
  decodeSubaccountToken,
  revokeSubaccountSignatureMessage,
  SubaccountAccess,
  subaccountAllows,
  unrevokeSubaccountSignatureMessage,
} from "./subaccount-revocation.ts";
import type { RpcSubrequest, RpcSubrequestMethod, SubrequestParams } from "./subrequest.ts";

/** The signature primitives auth checking needs (supplied by @session/crypto or libsodium). */
export interface SignatureVerifier {
  /** Ed25519 detached signature check. */
  verify(signature: Uint8Array, message: Uint8Array, ed25519Pubkey: Uint8Array): boolean;
  /** Ed25519 pubkey → X25519 pubkey (crypto_sign_ed25519_pk_to_curve25519); null if invalid. */
  ed25519PubkeyToX25519(ed25519Pubkey: Uint8Array): Uint8Array | null;
}

/** What a request must prove to be accepted, derived from its method and params. */
export interface AuthRequirement extends SignedParams {
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

type AuthRule<M extends RpcSubrequestMethod> = (params: SubrequestParams[M]) => AuthRequirement | null;

const { Read, Write, Delete } = SubaccountAccess;

/**
 * What `pubkey` must have signed, with `label` starting the failure text. Methods that refuse
 * subaccounts (`access` null) skip the revocation check, which only subaccounts could fail.
 */
function requirement(
  { pubkey, auth }: SignedParams,
  message: Uint8Array,
  label: string,
  access: number | null,
  skipRevokeCheck = access === null,
): AuthRequirement {
  const failure = `${label} signature verification failed`;
  return { pubkey, auth, message, requiredAccess: access, skipRevokeCheck, failure };
}

/** A method the account signs on every request: `message` is what it signs. */
function signed<P extends SignedParams>(
  label: string,
  access: number | null,
  message: (params: P) => Uint8Array,
): (params: P) => AuthRequirement {
  return (p) => requirement(p, message(p), label, access);
}

const unsigned = (): null => null;

/** Per method, following the verify_signature calls in oxenss/rpc/request_handler.cpp. */
const AUTH_RULES: { [M in RpcSubrequestMethod]: AuthRule<M> } = {
  store: (p) => {
    if (isPublicInboxNamespace(p.namespace)) return null;
    if (!p.auth) {
      throw new ProtocolError(
        "UNAUTHORIZED",
        `store: signature required to store to namespace ${p.namespace}`,
      );
    }
    const access = isPublicOutboxNamespace(p.namespace) ? Write | Delete : Write;
    const message = storeSignatureMessage(p.namespace, p.auth.sigTimestamp);
    return requirement({ pubkey: p.pubkey, auth: p.auth }, message, "store", access);
  },
  retrieve: (p) => {
    if (!p.auth) {
      if (isNoAuthRetrieveNamespace(p.namespace)) return null;
      throw new ProtocolError("UNAUTHORIZED", "retrieve: request signature required");
    }
    const message = retrieveSignatureMessage(p.namespace, p.auth.timestamp);
    const skipRevokeCheck = isUnrevocableNamespace(p.namespace);
    return requirement({ pubkey: p.pubkey, auth: p.auth }, message, "retrieve", Read, skipRevokeCheck);
  },
  delete: signed("delete_msgs", Delete, (p) => deleteSignatureMessage(p.messages)),
  delete_all: signed("delete_all", Delete, (p) => deleteAll.signatureMessage(p.namespace, p.timestamp)),
  delete_before: signed("delete_before", Delete, (p) => deleteBefore.signatureMessage(p.namespace, p.before)),
  expire_all: signed("expire_all", Delete, (p) => expireAll.signatureMessage(p.namespace, p.expiry)),
  expire: signed("expire:", Write, (p) => expireSignatureMessage(p)),
  get_expiries: signed("get_expiries", Read, (p) => getExpiriesSignatureMessage(p.timestamp, p.messages)),
  revoke_subaccount: signed("revoke_subaccount", null, (p) =>
    revokeSubaccountSignatureMessage(p.timestamp, p.tokens),
  ),
  unrevoke_subaccount: signed("unrevoke_subaccount", null, (p) =>
    unrevokeSubaccountSignatureMessage(p.timestamp, p.tokens),
  ),
  get_swarm: unsigned,
  info: unsigned,
  oxend_request: unsigned,
};

function ruleFor<M extends RpcSubrequestMethod>(req: { method: M; params: SubrequestParams[M] }) {
  return AUTH_RULES[req.method](req.params);
}

/**
 * The signature a parsed request carries and what it must cover (AUTH_RULES). Returns null when
 * the request carries no signature and needs none (unauthenticated store to a public inbox,
 * retrieve from a no-auth namespace, get_swarm, info, oxend_request). Throws UNAUTHORIZED when a
 * required signature is missing.
 */
export function authRequirementFor(req: RpcSubrequest): AuthRequirement | null {
  return ruleFor(req);
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
