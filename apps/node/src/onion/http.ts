import { ProtocolError } from "@session/protocol";
import { readBodyLimited } from "@session/service-kit";
import { type Dispatcher, request as undiciRequest } from "undici";

/** True for the error fetch throws when its AbortSignal.timeout fired. */
export function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

/** POSTs `body` to `url` with a hard timeout and returns status, content type and capped body. */
export async function postWithTimeout(
  fetchFn: typeof fetch,
  url: string,
  body: Uint8Array,
  opts: { timeoutMs: number; maxReplyBytes: number; headers?: Record<string, string> },
): Promise<{ status: number; contentType: string; body: Uint8Array }> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const res = await fetchFn(url, {
    method: "POST",
    body: body as Uint8Array<ArrayBuffer>,
    headers: { "content-type": "application/octet-stream", ...opts.headers },
    redirect: "manual",
    signal,
  });
  let bytes: Uint8Array;
  try {
    bytes = await readBodyLimited(res, opts.maxReplyBytes);
  } catch (err) {
    if (err instanceof ProtocolError)
      throw new ProtocolError("BAD_GATEWAY", "reply too large", undefined, { cause: err });
    throw err;
  }
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "application/octet-stream",
    body: bytes,
  };
}

/** Node-to-node POST with the same contract as postWithTimeout (timeouts, capped reply). */
export type NodePost = (
  url: string,
  body: Uint8Array,
  opts: { timeoutMs: number; maxReplyBytes: number },
) => Promise<{ status: number; contentType: string; body: Uint8Array }>;

/**
 * NodePost on an undici dispatcher's `request` (keep-alive connections, the body written in one
 * go): per relay it costs a fraction of `fetch`, which builds a WHATWG Request and streams the
 * body through a ReadableStream.
 */
export function dispatcherPost(dispatcher: Dispatcher): NodePost {
  return async (url, body, opts) => {
    const res = await undiciRequest(url, {
      dispatcher,
      method: "POST",
      body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      headers: { "content-type": "application/octet-stream" },
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const tooLarge = () => {
      // Destroying an unread undici body emits an abort error: expected here, not unhandled.
      res.body.on("error", () => {});
      res.body.destroy();
      return new ProtocolError("BAD_GATEWAY", "reply too large");
    };
    const declared = res.headers["content-length"];
    if (typeof declared === "string" && declared !== "" && Number(declared) > opts.maxReplyBytes) {
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > opts.maxReplyBytes) throw tooLarge();
      chunks.push(chunk);
    }
    const type = res.headers["content-type"];
    const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    return {
      status: res.statusCode,
      contentType: (Array.isArray(type) ? type[0] : type) ?? "application/octet-stream",
      body: new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength),
    };
  };
}
