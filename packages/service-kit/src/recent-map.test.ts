import { describe, expect, it } from "vitest";
import { RecentMap } from "./recent-map.ts";
import { oldSpaceGrowth } from "./testing/old-space.ts";

describe("RecentMap", () => {
  it("keeps the keys used within the last generation, at most maxEntries", () => {
    const m = new RecentMap<string, number>(4);
    m.set("a", 1);
    m.set("b", 2); // a generation (half of 4) is full: a and b are now the previous one
    expect(m.get("a")).toBe(1); // moves on to the current generation
    m.set("c", 3); // the current one full again: b, unused during it, is dropped
    expect([m.get("a"), m.get("b"), m.get("c")]).toEqual([1, undefined, 3]);
    for (let i = 0; i < 100; i++) {
      m.set(`k${i}`, i);
      expect(m.size).toBeLessThanOrEqual(4);
    }
  });

  it("set replaces a value in either generation; null is a value", () => {
    const m = new RecentMap<string, number | null>(2);
    m.set("a", 1); // generation of 1: a moves to the previous one at once
    m.set("a", null);
    expect(m.get("a")).toBeNull();
    expect(m.size).toBe(1);
  });

  it("refuses a bound below 1", () => {
    expect(() => new RecentMap(0)).toThrow(RangeError);
  });

  it("reads a hot key with no garbage in the old generation", () => {
    const m = new RecentMap<string, object>(10_000);
    m.set("hot", {});
    const grown = oldSpaceGrowth(() => {
      for (let i = 0; i < 100_000; i++) m.get("hot");
    });
    expect(grown).toBeLessThan(500_000);
  });
});
