import { describe, expect, it } from "vitest";
import { causeChain, isRetryable, isSessionError, SessionError } from "./index.ts";

class StoreError extends SessionError<"DISK_FULL" | "LOCKED"> {
  override name = "StoreError";
}
class WireError extends SessionError<1 | 2> {
  override readonly name = "WireError";
  constructor(
    code: 1 | 2,
    message: string,
    readonly status: number,
  ) {
    super(code, message, { retryable: status >= 500 });
  }
}

describe("SessionError", () => {
  it("keeps code, message, details and the cause chain", () => {
    const root = new TypeError("socket hang up");
    const mid = new StoreError("LOCKED", "store locked", { cause: root, details: { table: "m" } });
    const top = new WireError(2, "request failed", 503);
    const outer = new SessionError("WRAPPED", "outer", { cause: mid });
    expect(mid.code).toBe("LOCKED");
    expect(mid.message).toBe("store locked");
    expect(mid.details).toEqual({ table: "m" });
    expect(mid.cause).toBe(root);
    expect(causeChain(outer)).toEqual([outer, mid, root]);
    expect(causeChain(top)).toEqual([top]);
    expect("cause" in top).toBe(false);
    expect(String(mid)).toBe("StoreError: store locked");
    expect(mid.stack).toContain("store locked");
  });

  it("says whether a retry can help; unknown errors only when the caller says", () => {
    expect(new StoreError("DISK_FULL", "full").retryable).toBe(false);
    expect(new StoreError("LOCKED", "locked", { retryable: true }).retryable).toBe(true);
    expect(isRetryable(new WireError(1, "x", 503))).toBe(true);
    expect(isRetryable(new WireError(1, "x", 404))).toBe(false);
    expect(isRetryable(new Error("?"))).toBe(false);
    expect(isRetryable("thrown string")).toBe(false);
    expect(isRetryable(new Error("?"), true)).toBe(true);
    // A SessionError's own answer wins over the caller's default.
    expect(isRetryable(new WireError(1, "x", 404), true)).toBe(false);
  });

  it("is the base of every subclass", () => {
    const errs = [new StoreError("LOCKED", "a"), new WireError(1, "b", 500)];
    for (const e of errs) {
      expect(e).toBeInstanceOf(SessionError);
      expect(e).toBeInstanceOf(Error);
      expect(isSessionError(e)).toBe(true);
    }
    expect(errs[0]).not.toBeInstanceOf(WireError);
    expect(isSessionError(new Error("plain"))).toBe(false);
    expect(errs.map((e) => e.name)).toEqual(["StoreError", "WireError"]);
  });

  it("ends the cause chain on a cycle", () => {
    const a = new SessionError("A", "a");
    const b = new SessionError("B", "b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(causeChain(b)).toEqual([b, a]);
  });
});
