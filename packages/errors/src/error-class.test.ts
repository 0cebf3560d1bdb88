import { describe, expect, it } from "vitest";
import { codedErrorClass, SessionError, statusErrorClass } from "./index.ts";

class DiskError extends codedErrorClass<"FULL" | "BUSY">("DiskError", (code) => code === "BUSY") {}
class FinalError extends codedErrorClass<"BAD">("FinalError") {}
class WireError extends statusErrorClass<"REFUSED">("WireError", (_code, status) => status === 503) {}

describe("codedErrorClass / statusErrorClass", () => {
  it("name the error, keep code, message and cause, and stay SessionErrors", () => {
    const root = new TypeError("boom");
    const e = new DiskError("FULL", "disk full", { cause: root });
    expect([e.name, e.code, e.message, e.cause]).toEqual(["DiskError", "FULL", "disk full", root]);
    expect(String(e)).toBe("DiskError: disk full");
    expect(e).toBeInstanceOf(DiskError);
    expect(e).toBeInstanceOf(SessionError);
    expect(new FinalError("BAD", "x")).not.toBeInstanceOf(DiskError);
    expect("cause" in new FinalError("BAD", "x")).toBe(false);
  });

  it("decide retryable from the code (never by default) and the status", () => {
    expect(new DiskError("BUSY", "x").retryable).toBe(true);
    expect(new DiskError("FULL", "x").retryable).toBe(false);
    expect(new FinalError("BAD", "x").retryable).toBe(false);
    const w = new WireError("REFUSED", "x", 503);
    expect([w.status, w.retryable]).toEqual([503, true]);
    expect(new WireError("REFUSED", "x").retryable).toBe(false);
    expect(new WireError("REFUSED", "x").status).toBeUndefined();
  });
});
