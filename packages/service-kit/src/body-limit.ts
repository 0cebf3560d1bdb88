import { concatBytes } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import type { Context, MiddlewareHandler } from "hono";
import { errorBody } from "./errors.ts";

interface LimitBodyOptions {
  /**
   * `"buffer"` (default): the body is read, up to the limit, before the handler runs, so a
   * handler that maps its own read errors (bad JSON → 400) still cannot see an oversized body.
   * `"stream"`: the handler reads the body as it arrives and the read fails as soon as it passes
   * the limit; for uploads written to disk as they come. Either way the answer is the 413 below.
   */
  mode?: "buffer" | "stream";
  /** The answer to an oversized body (default `413 {error:{code:"PAYLOAD_TOO_LARGE"}}`). */
  onTooLarge?: (c: Context, maxBytes: number) => Response | Promise<Response>;
}

/**
 * The length a request declares, when it declares one: node:http holds a Content-Length body to
 * exactly that many bytes (more bytes are parsed as the next request, which fails), so a declared
 * length is a bound on what is read. With Transfer-Encoding (chunked) the body has no such bound.
 */
function declaredLength(headers: Headers): number | undefined {
  if (headers.has("transfer-encoding")) return undefined;
  const raw = headers.get("content-length");
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

const tooLargeError = (maxBytes: number, message?: string) =>
  new ProtocolError("PAYLOAD_TOO_LARGE", message ?? `request body exceeds ${maxBytes} bytes`);

/**
 * The chunks of `body`, failing with `tooLarge()` as soon as more than `maxBytes` have arrived
 * (the rest is never read). A consumer that stops early, by an error or `break`, cancels the
 * stream, so its source stops sending.
 */
export async function* chunksWithin(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = body.getReader();
  let size = 0;
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge();
      yield value;
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Reads a request or response body into memory, at most `maxBytes` of it: a declared length over
 * the limit is refused before a byte is read, and a streamed body as soon as it passes the limit
 * (the rest is never read). Throws ProtocolError `PAYLOAD_TOO_LARGE` (with `message` when given).
 */
export async function readBodyLimited(
  from: { readonly body: ReadableStream<Uint8Array> | null; readonly headers: Headers },
  maxBytes: number,
  message?: string,
): Promise<Uint8Array> {
  const declared = declaredLength(from.headers);
  if (declared !== undefined && declared > maxBytes) {
    await from.body?.cancel().catch(() => {});
    throw tooLargeError(maxBytes, message);
  }
  if (!from.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  for await (const chunk of chunksWithin(from.body, maxBytes, () => tooLargeError(maxBytes, message))) {
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
}

/** `body` with a byte count that errors the stream (and cancels the source) past `maxBytes`. */
function countedStream(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  onOver: () => void,
  onEnd: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let size = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        onEnd();
        return controller.close();
      }
      size += value.byteLength;
      if (size > maxBytes) {
        onOver();
        await reader.cancel().catch(() => {});
        return controller.error(tooLargeError(maxBytes));
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * The answer once a body went over the limit. The connection is closed after it, so a client
 * still sending (a 150 MB body) is cut off instead of having the rest read and discarded.
 */
export function closeAfter(res: Response): Response {
  const headers = new Headers(res.headers);
  headers.set("connection", "close");
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

const defaultTooLarge = (c: Context, maxBytes: number) =>
  c.json(errorBody("PAYLOAD_TOO_LARGE", `request body exceeds ${maxBytes} bytes`), 413);

/**
 * Refuses a request body over `maxBytes` without reading past the limit: by its declared
 * Content-Length before reading, or as soon as a chunked body passes the limit. Answers
 * `413 {error:{code:"PAYLOAD_TOO_LARGE"}}` (or `onTooLarge`) and closes the connection.
 */
export function limitBody(maxBytes: number, options: LimitBodyOptions = {}): MiddlewareHandler {
  const onTooLarge = options.onTooLarge ?? defaultTooLarge;
  const refuse = async (c: Context) => closeAfter(await onTooLarge(c, maxBytes));
  return async function limitBody(c, next) {
    const raw = c.req.raw;
    if (!raw.body) return next();
    const declared = declaredLength(raw.headers);
    if (declared !== undefined) {
      if (declared > maxBytes) {
        await raw.body.cancel().catch(() => {});
        return refuse(c);
      }
      return next();
    }
    if (options.mode === "stream") {
      let over = false;
      let ended = false;
      const body = countedStream(
        raw.body,
        maxBytes,
        () => {
          over = true;
        },
        () => {
          ended = true;
        },
      );
      c.req.raw = new Request(raw, { body, duplex: "half" } as RequestInit);
      await next();
      // Whatever the handler made of the failed read, the answer is the 413.
      if (over) {
        c.res = undefined as unknown as Response;
        c.res = await refuse(c);
      } else if (!ended) {
        // Answered without reading the whole chunked body (404, refused): the connection goes
        // with the answer rather than reading on to the body's end, however far that is.
        const res = c.res;
        c.res = undefined as unknown as Response;
        c.res = closeAfter(res);
      }
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBodyLimited(raw, maxBytes);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === "PAYLOAD_TOO_LARGE") return refuse(c);
      throw err;
    }
    c.req.raw = new Request(raw, { body: bytes as Uint8Array<ArrayBuffer> });
    return next();
  };
}
