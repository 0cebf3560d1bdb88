import { describe, expect, it } from "vitest";
import { blameFor } from "./blame.ts";

const k = (c: string) => c.repeat(64);
const path = [k("a"), k("b"), k("c")];
const dest = k("d");

describe("blameFor", () => {
  it("a relay naming an unreachable hop blames that hop alone", () => {
    const b = blameFor({ kind: "status", status: 502, body: `Next node unreachable: ${k("b")}` }, path, dest);
    expect(b).toEqual({ down: [k("b")], suspect: [], destinationDown: false, serverFailed: false });
  });

  it("oxenss's 'Next node not found' names the hop too; naming the destination says so", () => {
    const b = blameFor({ kind: "status", status: 502, body: `Next node not found: ${k("d")}` }, path, dest);
    expect(b).toMatchObject({ down: [dest], destinationDown: true });
  });

  it("a guard that cannot be reached is blamed alone", () => {
    expect(blameFor({ kind: "guard-unreachable" }, path, dest)).toMatchObject({
      down: [k("a")],
      suspect: [],
    });
  });

  it("an error naming no node (or a node not on the path) strikes the hops past the guard once", () => {
    for (const body of ["Request time out", `Next node unreachable: ${k("e")}`, "Snode busy"]) {
      expect(blameFor({ kind: "status", status: 504, body }, path, dest)).toEqual({
        down: [],
        suspect: [k("b"), k("c")],
        destinationDown: false,
        serverFailed: false,
      });
    }
    expect(blameFor({ kind: "garbled" }, path, dest).suspect).toEqual([k("b"), k("c")]);
    expect(blameFor({ kind: "timeout" }, path, dest).suspect).toEqual(path);
  });

  it("a starting node gets one strike; a failed server behind the last hop blames no node", () => {
    expect(
      blameFor({ kind: "status", status: 503, body: `Snode not ready: ${k("c")}` }, path, dest),
    ).toMatchObject({ down: [], suspect: [k("c")] });
    expect(
      blameFor({ kind: "status", status: 502, body: "Onion proxied request failed: ECONNREFUSED" }, path),
    ).toEqual({ down: [], suspect: [], destinationDown: false, serverFailed: true });
  });
});
