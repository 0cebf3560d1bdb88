import { type ErrorBody, type ErrorCode, errorTable, ProtocolError } from "@session/protocol";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import { isClientGone } from "./error-log.ts";
import { type FaultMonitor, faultError } from "./faults.ts";

/** The one body shape every error response of our services has. */
export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  return { error: { code, message: message ?? errorTable[code].message } };
}

/** JSON error response for a code, with the status from the protocol error table. */
export function errorResponse(c: Context, code: ErrorCode, message?: string): Response {
  return c.json(errorBody(code, message), errorTable[code].status as ContentfulStatusCode);
}

const statusCodes: Partial<Record<number, ErrorCode>> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  413: "PAYLOAD_TOO_LARGE",
  429: "RATE_LIMITED",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
  504: "GATEWAY_TIMEOUT",
};

/** Maps any thrown value to `{ status, body }`; anything unknown is a 500 INTERNAL that leaks nothing. */
export function errorToResponseParts(err: unknown): { status: number; body: ErrorBody } {
  // A full disk or a lost database connection, however deep it was thrown, has its stable code.
  const fault = faultError(err);
  if (fault) return { status: fault.status, body: { error: { code: fault.code, message: fault.message } } };
  if (err instanceof ProtocolError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message } } };
  }
  if (err instanceof HTTPException) {
    const code = statusCodes[err.status] ?? (err.status >= 500 ? "INTERNAL" : "BAD_REQUEST");
    return { status: err.status, body: errorBody(code, err.message || undefined) };
  }
  return { status: 500, body: errorBody("INTERNAL") };
}

interface OnErrorOptions {
  /** Faults (disk full, database gone) start their condition here, logged once, not per request. */
  faults?: FaultMonitor;
}

/**
 * `app.onError(...)` handler: ProtocolError → its status and body; unknown errors logged, then
 * 500. A client that hung up mid-request is one info line without a stack (and a 400 nobody reads).
 * A fault (STORAGE_FULL 507, DATABASE_UNAVAILABLE 503) is reported to `faults` instead of logged.
 */
export function onErrorHandler(logger: Logger, options: OnErrorOptions = {}): ErrorHandler {
  return (err, c) => {
    if (isClientGone(c.req.raw)) {
      logger.info(
        { route: c.req.routePath, code: "CLIENT_CLOSED" },
        "client closed the connection mid-request",
      );
      return c.json(errorBody("BAD_REQUEST", "request aborted"), 400);
    }
    const { status, body } = errorToResponseParts(err);
    const fault = options.faults?.observe(err);
    if (status >= 500 && !fault) logger.error({ err, route: c.req.routePath }, "request failed");
    return c.json(body, status as ContentfulStatusCode);
  };
}

/** `app.notFound(...)` handler answering with the NOT_FOUND error body. */
export const notFoundHandler: NotFoundHandler = (c) => errorResponse(c, "NOT_FOUND", "no such endpoint");
