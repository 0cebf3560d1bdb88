import { codedErrorClass } from "@session/errors";

/** Why a seed or node connection was refused before any request was sent. */
export type NodeTlsErrorCode =
  /** The seed is not an http(s) URL, or its pin is malformed. */
  | "BAD_SEED"
  /** An https seed without a certificate pin: its node list could come from anyone. */
  | "SEED_NOT_PINNED"
  /** The seed presented a certificate other than the pinned one. */
  | "SEED_CERT_MISMATCH"
  /** A seed fetch was asked for a URL that is none of its seeds. */
  | "NOT_A_SEED";

/** A configuration or pin problem: asking again cannot help, so never retryable. */
export class NodeTlsError extends codedErrorClass<NodeTlsErrorCode>("NodeTlsError") {}
