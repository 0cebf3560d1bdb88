// The storage RPC (oxenss-compatible): one file per method holds its params schema, signed string
// and response types. Subpath `@session/protocol/rpc`; the root entry re-exports the client side
// (signRpcParams).

// Client side: sign a request's params

export { type ParamsSigner, signRpcParams } from "./sign.ts";

// Parsing a request (single, batch/sequence subrequests, oxend pass-through)

export { isBase64, type NamespaceOrAll } from "./common.ts";
export { StorageHttpEndpoint } from "./endpoints.ts";
export type { OxendRequestParams } from "./oxend-request.ts";
export { parseRpcRequest, type RpcRequest } from "./request.ts";
export type { RpcSubrequest } from "./subrequest.ts";

// Authentication: who may call a method, signature and subaccount checks

export {
  type AuthRequirement,
  authRequirementFor,
  type SignatureVerifier,
  type VerifyAuthOptions,
  verifyAuth,
} from "./auth.ts";
export { decodeSubaccountToken, SubaccountAccess } from "./subaccount-revocation.ts";

// Limits and timing

export { effectiveRetrieveLimits, MAX_MESSAGE_BODY, MAX_SUBACCOUNT_TOKENS } from "./limits.ts";
export { appliedExpiry, checkRequestTiming } from "./timing.ts";

// Per-method signed strings (requests and the node's signed answers)

export { deleteResponseSignatureMessage } from "./delete.ts";
export { expireResponseSignatureMessage } from "./expire.ts";
export {
  asciiSort,
  type DeletedOrUpdated,
  deleteAllResponseSignatureMessage,
  deleteBeforeResponseSignatureMessage,
  expireAllResponseSignatureMessage,
  flattenByNamespace,
} from "./namespace-scoped.ts";
export { storeResponseSignatureMessage, storeSignatureMessage } from "./store.ts";
export { subaccountRevocationResponseSignatureMessage } from "./subaccount-revocation.ts";

// Answers: swarm info, per-node results, ifElse conditions

export { swarmIdToHex, swarmInfoBody } from "./get-swarm.ts";
export { evaluateIfElseCondition } from "./ifelse.ts";
export {
  parseNodeResponse,
  revokeSubaccountResponseSchema,
  unrevokeSubaccountResponseSchema,
} from "./response-schemas.ts";
export { isSwarmFailure } from "./responses.ts";
