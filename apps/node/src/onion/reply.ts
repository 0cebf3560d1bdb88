import type { ErrorCode } from "@session/protocol";

/**
 * How an onion request ended at this node, for metrics and logs:
 * - `final`: this node ran the storage RPC and encrypted the answer;
 * - `node` / `server`: relayed to the next node / an HTTP(S) server and passed its reply back;
 * - `rejected`: refused here (the `code` says why).
 */
export type OnionOutcome = "final" | "node" | "server" | "rejected";

/** What the HTTP handler sends back: a status and the raw body bytes (or text). */
export interface OnionReply {
  status: number;
  body: Uint8Array | string;
  contentType: string;
  outcome: OnionOutcome;
  /** Set when this node refused the request or its destination failed. */
  code?: ErrorCode;
}

/**
 * A plain-text refusal, as oxenss answers onion failures it cannot (or does not) encrypt:
 * Session clients match on these texts (e.g. the "Next node not found: " prefix), so the
 * body is the bare message rather than our JSON error envelope; the code travels in a header.
 */
export function plainReply(status: number, code: ErrorCode, message: string): OnionReply {
  return { status, body: message, contentType: "text/plain; charset=utf-8", outcome: "rejected", code };
}

/** Header carrying our stable error code next to the oxenss-compatible text body. */
export const ERROR_CODE_HEADER = "x-session-error-code";
