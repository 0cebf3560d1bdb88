import { describe, expect, it } from "vitest";
import { backoffMs } from "./backoff.ts";

describe("backoffMs", () => {
  it("doubles from the base after each failure, up to the cap", () => {
    const o = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("treats 0 or fewer failures as the first, and huge counts without overflow", () => {
    const o = { baseMs: 50, maxMs: 60_000 };
    expect(backoffMs(0, o)).toBe(50);
    expect(backoffMs(-3, o)).toBe(50);
    expect(backoffMs(10_000, o)).toBe(60_000);
  });

  it("equal jitter stays within [half, all] of the computed wait", () => {
    const o = { baseMs: 100, maxMs: 10_000, jitter: "equal" as const };
    for (let i = 0; i < 200; i++) {
      const w = backoffMs(3, o);
      expect(w).toBeGreaterThanOrEqual(200);
      expect(w).toBeLessThanOrEqual(400);
    }
  });
});
