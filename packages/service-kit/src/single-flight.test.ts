import { describe, expect, it } from "vitest";
import { SingleFlight } from "./single-flight.ts";

describe("SingleFlight", () => {
  it("joins the run in progress and starts a new one after it ends", async () => {
    let started = 0;
    let release!: () => void;
    const flight = new SingleFlight(async () => {
      started++;
      await new Promise<void>((r) => {
        release = r;
      });
      return started;
    });
    const a = flight.run();
    const b = flight.run();
    expect(b).toBe(a);
    release();
    expect(await a).toBe(1);
    const c = flight.run();
    expect(c).not.toBe(a);
    release();
    expect(await c).toBe(2);
  });

  it("settled() waits for a failing run without rejecting; the next run starts afresh", async () => {
    let calls = 0;
    const flight = new SingleFlight(async () => {
      calls++;
      if (calls === 1) throw new Error("boom");
      return calls;
    });
    const failed = flight.run();
    await expect(flight.settled()).resolves.toBeUndefined();
    await expect(failed).rejects.toThrow("boom");
    expect(await flight.run()).toBe(2);
    await expect(new SingleFlight(async () => 0).settled()).resolves.toBeUndefined();
  });
});
