import { describe, expect, it } from "vitest";
import { NodeHealth } from "./node-health.ts";

describe("NodeHealth", () => {
  it("a node is left out at the threshold and forgiven after the window", () => {
    let now = 1_000_000;
    const h = new NodeHealth({ threshold: 3, forgiveAfterMs: 60_000, now: () => now });
    h.strike("x");
    h.strike("x");
    expect(h.usable("x")).toBe(true);
    h.strike("x");
    expect(h.usable("x")).toBe(false);
    now += 59_999;
    expect(h.usable("x")).toBe(false);
    now += 2;
    expect(h.usable("x")).toBe(true);
    expect(h.count("x")).toBe(0);
  });

  it("strikes expire one by one; strikeOut counts the threshold; a success clears", () => {
    let now = 0;
    const h = new NodeHealth({ threshold: 3, forgiveAfterMs: 100, now: () => now });
    h.strike("y");
    now = 50;
    h.strike("y");
    now = 120;
    expect(h.count("y")).toBe(1);
    h.strikeOut("z");
    expect(h.count("z")).toBe(3);
    expect(h.usable("z")).toBe(false);
    h.succeeded("z");
    expect(h.usable("z")).toBe(true);
    h.strikeOut("w");
    h.forgiveAll();
    expect(h.usable("w")).toBe(true);
  });
});
