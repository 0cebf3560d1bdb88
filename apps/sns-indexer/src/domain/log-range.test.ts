import { describe, expect, it } from "vitest";
import { AdaptiveLogRange, isRangeRefusal } from "./log-range.ts";

describe("AdaptiveLogRange", () => {
  it("grows on empty answers up to the cap, holds on events, halves on refusal", () => {
    const r = new AdaptiveLogRange(1000, 100_000);
    r.answered(0);
    expect(r.size).toBe(2000);
    for (let i = 0; i < 10; i++) r.answered(0);
    expect(r.size).toBe(100_000);
    r.answered(3);
    expect(r.size).toBe(100_000);
    r.refused();
    expect(r.size).toBe(50_000);
    r.refused();
    expect(r.size).toBe(25_000);
  });

  it("a provider refusing even one block is an error, not a loop", () => {
    const r = new AdaptiveLogRange(2, 4);
    r.refused();
    expect(r.size).toBe(1);
    expect(() => r.refused()).toThrow(/one-block/);
  });

  it("refuses nonsense spans", () => {
    expect(() => new AdaptiveLogRange(0, 10)).toThrow();
    expect(() => new AdaptiveLogRange(10, 5)).toThrow();
  });
});

describe("isRangeRefusal", () => {
  it("recognises providers' range and size limits, not transient failures", () => {
    expect(isRangeRefusal({ code: -32005, message: "limit exceeded" })).toBe(true);
    expect(isRangeRefusal(new Error("eth_getLogs block range too large, max 10000"))).toBe(true);
    expect(
      isRangeRefusal({ error: { code: -32602, message: "query returned more than 10000 results" } }),
    ).toBe(true);
    expect(isRangeRefusal(new Error("Log response size exceeded."))).toBe(true);
    expect(isRangeRefusal(new Error("ECONNRESET"))).toBe(false);
    expect(isRangeRefusal(new Error("timeout"))).toBe(false);
    expect(isRangeRefusal(undefined)).toBe(false);
  });
});
