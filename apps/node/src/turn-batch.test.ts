import { describe, expect, it } from "vitest";
import { TurnBatch } from "./turn-batch.ts";

describe("TurnBatch", () => {
  it("runs a turn's jobs together after the turn's I/O, in order, each with its own value or error", async () => {
    const b = new TurnBatch();
    const ran: number[] = [];
    const jobs = [1, 2, 3].map((n) =>
      b.run(() => {
        ran.push(n);
        if (n === 2) throw new Error("two");
        return n * 10;
      }),
    );
    expect(ran).toEqual([]);
    expect(b.pending).toBe(3);
    const settled = await Promise.allSettled(jobs);
    expect(ran).toEqual([1, 2, 3]);
    expect(settled).toEqual([
      { status: "fulfilled", value: 10 },
      { status: "rejected", reason: new Error("two") },
      { status: "fulfilled", value: 30 },
    ]);
    // A job queued by a job's continuation goes into the next batch.
    expect(await b.run(() => "next")).toBe("next");
    expect(b.pending).toBe(0);
  });
});
