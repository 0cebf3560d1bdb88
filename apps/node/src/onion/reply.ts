import { toBase64, utf8Encode } from "@session/crypto";
import type { ErrorCode } from "@session/protocol";
import { encodeFinalHopResponse } from "@session/protocol/onion";

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

/** Encrypts a reply to the client whose layer this node opened. */
export type Seal = (plaintext: Uint8Array) => Uint8Array;

/** Encrypts a reply for the client and frames it as oxenss wrap_proxy_response does. */
export function wrappedReply(
  seal: Seal,
  status: number,
  body: unknown,
  opts: { embedJson?: boolean; base64?: boolean } = {},
): Uint8Array | string {
  const plaintext = utf8Encode(encodeFinalHopResponse(status, body, { embedJson: opts.embedJson ?? false }));
  const sealed = seal(plaintext);
  return opts.base64 === false ? sealed : toBase64(sealed);
}

/** The layer decrypted, so refusals are answered encrypted, as oxenss wrap_proxy_response does. */
function encryptedRefusal(seal: Seal, body: string, code: OnionReply["code"]): OnionReply {
  return {
    status: 200,
    body: wrappedReply(seal, 400, body),
    contentType: "text/plain; charset=utf-8",
    outcome: "rejected",
    code,
  };
}
export const invalidUrl = (seal: Seal) => encryptedRefusal(seal, "Invalid url", "ONION_TARGET_NOT_ALLOWED");
export const invalidJson = (seal: Seal) => encryptedRefusal(seal, "Invalid json", "ONION_BAD_LAYER");

/** An error's message, for the refusals that carry it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
