export * from "./auth.ts";
export { type BatchParams, parseBatchRequests } from "./batch.ts";
export {
  isBase64,
  messageHashField,
  type NamespaceOrAll,
  namespaceField,
  namespaceOrAllField,
  parseWith,
  pubkeyField,
  type RequestAuth,
  signatureField,
  subaccountTokenField,
  timestampField,
} from "./common.ts";
export * from "./delete.ts";
export * from "./delete-all.ts";
export * from "./delete-before.ts";
export * from "./endpoints.ts";
export * from "./expire.ts";
export * from "./expire-all.ts";
export * from "./get-expiries.ts";
export * from "./get-swarm.ts";
export * from "./ifelse.ts";
export * from "./info.ts";
export * from "./limits.ts";
export {
  asciiSort,
  type DeletedOrUpdated,
  flattenByNamespace,
  type NamespaceScopedParams,
  namespaceOrAllSignatureValue,
} from "./namespace-scoped.ts";
export * from "./oxend-request.ts";
export * from "./request.ts";
export * from "./response-schemas.ts";
export * from "./responses.ts";
export * from "./retrieve.ts";
export * from "./sign.ts";
export * from "./store.ts";
export * from "./subaccount-revocation.ts";
export {
  parseSubrequest,
  RPC_SUBREQUEST_METHODS,
  type RpcSubrequest,
  type RpcSubrequestMethod,
} from "./subrequest.ts";
export * from "./timing.ts";
