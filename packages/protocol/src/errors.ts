import { SessionError } from "@session/errors";
import type { z } from "zod";

/**
 * Stable error codes shared by every service. Statuses follow what oxen-storage-server returns
 * for the same condition (oxenss/rpc/request_handler.cpp, oxenss/server/https.cpp) where it has one.
 */
export const ErrorCode = {
  BAD_REQUEST: "BAD_REQUEST",
  INVALID_JSON: "INVALID_JSON",
  INVALID_PUBKEY: "INVALID_PUBKEY",
  UNSUPPORTED_METHOD: "UNSUPPORTED_METHOD",
  UNAUTHORIZED: "UNAUTHORIZED",
  BAD_SIGNATURE: "BAD_SIGNATURE",
  SUBACCOUNT_REVOKED: "SUBACCOUNT_REVOKED",
  FORBIDDEN: "FORBIDDEN",
  INVALID_TTL: "INVALID_TTL",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  TIMESTAMP_OUT_OF_WINDOW: "TIMESTAMP_OUT_OF_WINDOW",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  WRONG_SWARM: "WRONG_SWARM",
  RATE_LIMITED: "RATE_LIMITED",
  INTERNAL: "INTERNAL",
  BAD_GATEWAY: "BAD_GATEWAY",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  GATEWAY_TIMEOUT: "GATEWAY_TIMEOUT",
  STORAGE_FULL: "STORAGE_FULL",
  DATABASE_UNAVAILABLE: "DATABASE_UNAVAILABLE",
  ONION_DECRYPT_FAILED: "ONION_DECRYPT_FAILED",
  ONION_BAD_LAYER: "ONION_BAD_LAYER",
  ONION_TARGET_NOT_ALLOWED: "ONION_TARGET_NOT_ALLOWED",
  ONION_HOP_LIMIT: "ONION_HOP_LIMIT",
  BENCODE_INVALID: "BENCODE_INVALID",
  PROTOBUF_INVALID: "PROTOBUF_INVALID",
  CONFIG_INVALID: "CONFIG_INVALID",
  CONFIG_SIGNATURE: "CONFIG_SIGNATURE",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

interface ErrorInfo {
  readonly status: number;
  readonly message: string;
}

/** Default HTTP status and message for every code. */
export const errorTable: Readonly<Record<ErrorCode, ErrorInfo>> = {
  // oxenss answers every parse failure with 400 "invalid request: ..."
  BAD_REQUEST: { status: 400, message: "invalid request" },
  INVALID_JSON: { status: 400, message: "invalid json" },
  INVALID_PUBKEY: { status: 400, message: "invalid pubkey" },
  // oxenss: 400 "no method X"
  UNSUPPORTED_METHOD: { status: 400, message: "unsupported method" },
  // oxenss: 401 "signature required" / "signature verification failed"
  UNAUTHORIZED: { status: 401, message: "authentication required" },
  BAD_SIGNATURE: { status: 401, message: "signature verification failed" },
  SUBACCOUNT_REVOKED: { status: 401, message: "subaccount has been revoked" },
  FORBIDDEN: { status: 403, message: "forbidden" },
  // oxenss: 403 "Provided expiry/TTL is not valid."
  INVALID_TTL: { status: 403, message: "provided expiry/TTL is not valid" },
  // oxenss: delete with required=true that deleted nothing
  NOT_FOUND: { status: 404, message: "not found" },
  METHOD_NOT_ALLOWED: { status: 405, message: "method not allowed" },
  // oxenss: 406 "Timestamp error: check your clock" / "... timestamp too far from current time"
  TIMESTAMP_OUT_OF_WINDOW: { status: 406, message: "timestamp too far from current time" },
  // oxenss https.cpp: 413 "Request body too large"
  PAYLOAD_TOO_LARGE: { status: 413, message: "payload too large" },
  // oxenss: 421 Misdirected Request, with the correct swarm in the body
  WRONG_SWARM: { status: 421, message: "pubkey is not served by this swarm" },
  RATE_LIMITED: { status: 429, message: "too many requests" },
  INTERNAL: { status: 500, message: "internal error" },
  // oxenss onion relay: 502 when the next hop or remote server fails
  BAD_GATEWAY: { status: 502, message: "bad gateway" },
  // oxenss: 503 "Snode not ready"
  SERVICE_UNAVAILABLE: { status: 503, message: "service unavailable" },
  // oxenss: 504 "Request time out"
  GATEWAY_TIMEOUT: { status: 504, message: "gateway timeout" },
  // The disk (or the database's disk) is full: nothing new is stored until space returns; reads
  // still work. 507 Insufficient Storage (RFC 4918). oxenss answers a store it could not write
  // with {failed, query_failure} and a 500; the node keeps that body (see apps/node).
  STORAGE_FULL: { status: 507, message: "insufficient storage: the server's disk is full" },
  // The database connection was lost mid-request; the service reconnects by itself, so a retry helps.
  DATABASE_UNAVAILABLE: { status: 503, message: "database unavailable, retry later" },
  // oxenss: 400 "Invalid ciphertext"
  ONION_DECRYPT_FAILED: { status: 400, message: "invalid ciphertext" },
  // oxenss: 400 "Invalid json" for a malformed [N][payload]{json} layer
  ONION_BAD_LAYER: { status: 400, message: "invalid onion request layer" },
  // oxenss: 400 "Invalid url"
  ONION_TARGET_NOT_ALLOWED: { status: 400, message: "invalid url" },
  ONION_HOP_LIMIT: { status: 400, message: "too many onion hops" },
  BENCODE_INVALID: { status: 400, message: "invalid bencoded data" },
  PROTOBUF_INVALID: { status: 400, message: "invalid protobuf data" },
  // libsession config messages (groups): malformed, or a missing/bad signature by the group key
  CONFIG_INVALID: { status: 400, message: "invalid config message" },
  CONFIG_SIGNATURE: { status: 400, message: "config signature verification failed" },
};

/**
 * Codes where the same request can succeed later or at another node: the service is busy,
 * starting, out of disk or cut off from its database, a hop timed out, or the request reached the
 * wrong swarm (the answer names the right one). Every other code is about the request itself.
 */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "WRONG_SWARM",
  "RATE_LIMITED",
  "BAD_GATEWAY",
  "SERVICE_UNAVAILABLE",
  "GATEWAY_TIMEOUT",
  "STORAGE_FULL",
  "DATABASE_UNAVAILABLE",
]);

export class ProtocolError extends SessionError<ErrorCode> {
  override readonly name = "ProtocolError";
  readonly status: number;

  constructor(code: ErrorCode, message?: string, details?: unknown, options?: { cause?: unknown }) {
    super(code, message ?? errorTable[code].message, {
      ...options,
      details,
      retryable: RETRYABLE_CODES.has(code),
    });
    this.status = errorTable[code].status;
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** The JSON body clients receive for any error; unknown errors become INTERNAL without leaking. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ProtocolError) return { error: { code: err.code, message: err.message } };
  return { error: { code: "INTERNAL", message: errorTable.INTERNAL.message } };
}

/** HTTP status for any thrown value (500 for anything that is not a ProtocolError). */
export function statusOf(err: unknown): number {
  return err instanceof ProtocolError ? err.status : 500;
}

/**
 * Turns a zod failure into a ProtocolError. `pathCodes` maps a top-level field name to a more
 * specific code (e.g. `{ pubkey: "INVALID_PUBKEY" }`); otherwise the code is `fallback`.
 */
export function fromZodError(
  error: z.ZodError,
  fallback: ErrorCode = "BAD_REQUEST",
  pathCodes: Partial<Record<string, ErrorCode>> = {},
): ProtocolError {
  const first = error.issues[0];
  const path = first ? first.path.map(String).join(".") : "";
  const head = first?.path[0];
  // A custom issue may name its own code via `params.errorCode`.
  const own = (first as { params?: { errorCode?: unknown } } | undefined)?.params?.errorCode;
  const code =
    (typeof own === "string" && own in errorTable ? (own as ErrorCode) : undefined) ??
    (typeof head === "string" ? pathCodes[head] : undefined) ??
    fallback;
  const message = first ? (path ? `${path}: ${first.message}` : first.message) : errorTable[code].message;
  return new ProtocolError(
    code,
    message,
    error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  );
}
