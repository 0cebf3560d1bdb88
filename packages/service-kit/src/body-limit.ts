import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { errorBody } from "./errors.ts";

/**
 * Rejects a body larger than `maxBytes` with 413 and `{error:{code:"PAYLOAD_TOO_LARGE"}}`.
 * Note: without a Content-Length the body is buffered (up to the limit) to count it; stream
 * large uploads yourself instead (see apps/file-server's staging).
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json(errorBody("PAYLOAD_TOO_LARGE", `request body exceeds ${maxBytes} bytes`), 413),
  });
}
