// Errors
export { NodeTlsError, type NodeTlsErrorCode } from "./errors.ts";
// Node traffic: TLS without CA validation (nodes are authenticated by their registered keys)
export { type DispatcherFetch, fetchThrough, nodeHttp } from "./node-http.ts";
// Seed bootstrap: pinned certificates
export {
  certFingerprint,
  formatSeed,
  normalizeFingerprint,
  type PinnedSeed,
  parseSeed,
  seedHttp,
} from "./seeds.ts";
