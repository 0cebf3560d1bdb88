import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { endAtTurnEnd } from "./http-fast-path.ts";

const fakeRes = (fail = false) => {
  const calls: string[] = [];
  const res = {
    end(body: string) {
      if (fail) throw new Error("write after end");
      calls.push(`end:${body}`);
    },
    destroy() {
      calls.push("destroy");
    },
  } as unknown as ServerResponse;
  return { res, calls };
};

describe("endAtTurnEnd", () => {
  it("sends the turn's replies together once the turn's callbacks have run, in order", async () => {
    const a = fakeRes();
    const b = fakeRes();
    endAtTurnEnd(a.res, "1");
    endAtTurnEnd(b.res, "2");
    await Promise.resolve(); // microtasks of this turn: still pending
    expect([a.calls, b.calls]).toEqual([[], []]);
    await new Promise((r) => setImmediate(r));
    expect([a.calls, b.calls]).toEqual([["end:1"], ["end:2"]]);
  });

  it("one reply that cannot be sent does not hold back the others", async () => {
    const bad = fakeRes(true);
    const good = fakeRes();
    endAtTurnEnd(bad.res, "x");
    endAtTurnEnd(good.res, "y");
    await new Promise((r) => setImmediate(r));
    expect(bad.calls).toEqual(["destroy"]);
    expect(good.calls).toEqual(["end:y"]);
  });
});
