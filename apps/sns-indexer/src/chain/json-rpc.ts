import { z } from "zod";
import { ChainRpcError, errorFromRpc } from "./errors.ts";

/** Sends one JSON-RPC call and returns its `result` (unvalidated); failures are ChainRpcErrors. */
export type RpcTransport = (method: string, params: unknown[], signal?: AbortSignal) => Promise<unknown>;

/** The part of an EIP-1193 provider the indexer needs (e.g. an in-process EDR chain). */
export interface Eip1193Like {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export interface HttpTransportOptions {
  /** Per call, from sending to the end of the body (SNS_RPC_TIMEOUT_MS). */
  timeoutMs: number;
  fetchFn?: typeof fetch;
}

const responseSchema = z.object({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.number(), z.string(), z.null()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }).optional(),
});

/** Seconds or an HTTP date, as `Retry-After` carries them. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const timedOut = (method: string, ms: number, cause?: unknown) =>
  new ChainRpcError("RPC_TIMEOUT", `${method}: no answer within ${ms} ms`, { cause });

/**
 * JSON-RPC over HTTP POST with our own timeout and error classification (no provider library
 * in between): 429 → RPC_RATE_LIMITED with Retry-After, 5xx and connection errors →
 * RPC_UNAVAILABLE, a body that is not one JSON-RPC answer to this request → RPC_BAD_ANSWER.
 */
export function httpTransport(url: string, opts: HttpTransportOptions): RpcTransport {
  const fetchFn = opts.fetchFn ?? fetch;
  let nextId = 1;
  return async (method, params, signal) => {
    const id = nextId++;
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetchFn(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
        signal: combined,
      });
      status = res.status;
      retryAfter = res.headers.get("retry-after");
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw timedOut(method, opts.timeoutMs, err);
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new ChainRpcError("RPC_UNAVAILABLE", `${method}: ${cause?.code ?? String(err)}`, { cause: err });
    }
    if (status === 429) {
      const after = retryAfterMs(retryAfter);
      throw new ChainRpcError(
        "RPC_RATE_LIMITED",
        `${method}: HTTP 429`,
        after === undefined ? {} : { retryAfterMs: after },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      if (status < 200 || status >= 300)
        throw new ChainRpcError("RPC_UNAVAILABLE", `${method}: HTTP ${status}`, { cause: err });
      throw new ChainRpcError("RPC_BAD_ANSWER", `${method}: answer is not JSON (${text.length} bytes)`, {
        cause: err,
      });
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      if (status < 200 || status >= 300)
        throw new ChainRpcError("RPC_UNAVAILABLE", `${method}: HTTP ${status}`);
      throw new ChainRpcError("RPC_BAD_ANSWER", `${method}: not a JSON-RPC 2.0 answer`, {
        cause: parsed.error,
      });
    }
    const answer = parsed.data;
    if (answer.error) throw errorFromRpc(method, answer.error.code, answer.error.message);
    if (answer.id !== id)
      throw new ChainRpcError(
        "RPC_BAD_ANSWER",
        `${method}: answer for request ${String(answer.id)}, sent ${id}`,
      );
    if (!("result" in answer)) throw new ChainRpcError("RPC_BAD_ANSWER", `${method}: answer has no result`);
    if (status < 200 || status >= 300)
      throw new ChainRpcError("RPC_UNAVAILABLE", `${method}: HTTP ${status}`);
    return answer.result;
  };
}

/** An EIP-1193 provider (tests and the devnet: the in-process chain) with the same timeout and errors. */
export function eip1193Transport(provider: Eip1193Like, opts: { timeoutMs: number }): RpcTransport {
  return async (method, params, signal) => {
    signal?.throwIfAborted();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut(method, opts.timeoutMs)), opts.timeoutMs);
    });
    try {
      return await Promise.race([provider.request({ method, params }), timeout]);
    } catch (err) {
      if (err instanceof ChainRpcError) throw err;
      const e = err as { code?: unknown; message?: unknown };
      throw errorFromRpc(method, e.code, e.message);
    } finally {
      clearTimeout(timer);
    }
  };
}
