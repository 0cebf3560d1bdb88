import { SessionError } from "@session/errors";
import { describe, expect, it } from "vitest";
import { ChainRpcError, errorFromRpc } from "../chain/errors.ts";
import { withRetry } from "./retry.ts";

/** A call that fails with `errors` in turn, then answers "ok"; counts its calls. */
function failing(...errors: unknown[]) {
  const fn = async () => {
    fn.calls++;
    const e = errors.shift();
    if (e !== undefined) throw e;
    return "ok";
  };
  fn.calls = 0;
  return fn;
}

const fast = { attempts: 4, baseMs: 1, maxMs: 2 };

describe("withRetry asks the error", () => {
  it("stops at once on an error that says a retry cannot help", async () => {
    for (const err of [
      errorFromRpc("eth_call", -32602, "invalid params"),
      new ChainRpcError("RPC_RANGE_REFUSED", "eth_getLogs: too many results"),
      new SessionError("ANY", "any package's final error"),
    ]) {
      const fn = failing(err);
      await expect(withRetry(fn, fast)).rejects.toBe(err);
      expect(fn.calls).toBe(1);
    }
  });

  it("tries again on retryable errors and on unexpected ones", async () => {
    const fn = failing(
      new ChainRpcError("RPC_TIMEOUT", "eth_blockNumber: no answer"),
      errorFromRpc("eth_blockNumber", 429, "rate limited"),
      new TypeError("fetch failed"),
    );
    await expect(withRetry(fn, fast)).resolves.toBe("ok");
    expect(fn.calls).toBe(4);
  });

  it("rethrows the last error after the attempts", async () => {
    const last = new ChainRpcError("RPC_UNAVAILABLE", "eth_chainId: HTTP 503");
    const fn = failing(new ChainRpcError("RPC_UNAVAILABLE", "first"), last, "never reached");
    await expect(withRetry(fn, { ...fast, attempts: 2 })).rejects.toBe(last);
    expect(fn.calls).toBe(2);
  });
});
