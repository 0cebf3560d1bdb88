import { afterEach, describe, expect, it, vi } from "vitest";
import { runPeriodically } from "./periodic.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("runPeriodically", () => {
  it("skips ticks while a run goes on, reports failures, and stops", async () => {
    vi.useFakeTimers();
    let runs = 0;
    let release!: () => void;
    const errors: unknown[] = [];
    const task = runPeriodically(
      () => {
        runs++;
        if (runs === 2) return Promise.reject(new Error("boom"));
        return new Promise<void>((r) => {
          release = r;
        });
      },
      100,
      (err) => errors.push(err),
    );
    await vi.advanceTimersByTimeAsync(350); // ticks at 100, 200, 300: the first run still goes
    expect(runs).toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(100); // tick at 400: the second run fails
    expect(runs).toBe(2);
    expect(errors).toEqual([new Error("boom")]);
    await vi.advanceTimersByTimeAsync(100); // tick at 500: tried again
    expect(runs).toBe(3);
    task.stop();
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(3);
  });
});
