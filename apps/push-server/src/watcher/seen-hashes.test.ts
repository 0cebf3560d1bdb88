import { describe, expect, it } from "vitest";
import { SeenHashes } from "./seen-hashes.ts";

describe("SeenHashes", () => {
  it("remembers up to its limit, forgetting the oldest first", () => {
    const seen = new SeenHashes(2);
    seen.add("a");
    seen.add("b");
    seen.add("c");
    expect([seen.has("a"), seen.has("b"), seen.has("c")]).toEqual([false, true, true]);
    seen.delete("b");
    expect(seen.has("b")).toBe(false);
  });
});
