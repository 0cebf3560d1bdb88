import { concatBytes } from "@session/crypto";
import { ProtocolError } from "@session/protocol";

/**
 * Reads a request or response body, refusing it as soon as it passes `maxBytes` (a declared
 * content-length over the limit is refused before a byte is read): no work is spent on bodies
 * we would reject anyway.
 */
export async function readBodyLimited(
  body: ReadableStream<Uint8Array> | null,
  declaredLength: string | null | undefined,
  maxBytes: number,
): Promise<Uint8Array> {
  if (declaredLength != null && declaredLength !== "" && Number(declaredLength) > maxBytes) {
    await body?.cancel().catch(() => {});
    throw new ProtocolError("PAYLOAD_TOO_LARGE", "onion request data too big");
  }
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new ProtocolError("PAYLOAD_TOO_LARGE", "onion request data too big");
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  return concatBytes(...chunks);
}

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
    bytes = await readBodyLimited(res.body, res.headers.get("content-length"), opts.maxReplyBytes);
  } catch (err) {
    if (err instanceof ProtocolError) throw new ProtocolError("BAD_GATEWAY", "reply too large");
    throw err;
  }
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "application/octet-stream",
    body: bytes,
  };
}
