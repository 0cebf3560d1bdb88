import { describe, expect, it } from "vitest";
import { NetworkClock } from "./clock.ts";

describe("NetworkClock", () => {
  it("learns the offset from node timestamps, corrected by half the round trip", () => {
    let local = 1_000_000;
    const changes: number[] = [];
    const c = new NetworkClock(
      () => local,
      0,
      (o) => changes.push(o),
    );
    expect(c.now()).toBe(1_000_000);
    // Our clock is 5 minutes ahead: the node answers with t = local - 300 s at the midpoint.
    c.observe({ t: 1_000_100 - 300_000 }, 1_000_000, 1_000_200);
    expect(c.offset).toBe(-300_000);
    expect(changes).toEqual([-300_000]);
    local = 2_000_000;
    expect(c.now()).toBe(1_700_000);
  });

  it("takes the median of recent samples, so one wrong node does not move it", () => {
    const c = new NetworkClock(() => 0);
    for (const t of [5000, 5100, 4900]) c.observe({ t }, 0, 0);
    c.observe({ t: 9_999_999 }, 0, 0);
    expect(c.offset).toBe(5000);
  });

  it("ignores answers without a timestamp and starts from a stored offset", () => {
    const c = new NetworkClock(() => 10, 250);
    c.observe({ hf: [19, 0] }, 0, 5);
    c.observe(null, 0, 5);
    c.observe({ t: "soon" }, 0, 5);
    expect(c.now()).toBe(260);
  });
});
