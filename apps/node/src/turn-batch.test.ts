import { describe, expect, it } from "vitest";
import { TurnQueue } from "./turn-batch.ts";

describe("TurnQueue", () => {
  it("hands over a turn's items together after the turn's I/O, in order; later items go into the next batch", async () => {
    const batches: number[][] = [];
    let flushed: () => void = () => {};
    const q = new TurnQueue<number>((batch) => {
      batches.push(batch);
      flushed();
    });
    const first = new Promise<void>((r) => {
      flushed = r;
    });
    for (const n of [1, 2, 3]) q.push(n);
    expect(batches).toEqual([]);
    expect(q.pending).toBe(3);
    await first;
    expect(batches).toEqual([[1, 2, 3]]);
    expect(q.pending).toBe(0);
    // An item pushed after the flush goes into the next batch.
    const second = new Promise<void>((r) => {
      flushed = r;
    });
    q.push(4);
    await second;
    expect(batches).toEqual([[1, 2, 3], [4]]);
    expect(q.pending).toBe(0);
  });
});
