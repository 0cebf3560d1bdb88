import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { suiteTempDir } from "./temp-dir.ts";

let seen: string | undefined;

describe("suiteTempDir", () => {
  const dir = suiteTempDir("sk-temp-dir-");
  let inBeforeAll: string | undefined;
  beforeAll(() => {
    inBeforeAll = dir();
  });

  it("is an empty directory under the OS temp dir, there for the suite's own beforeAll", () => {
    seen = dir();
    expect(inBeforeAll).toBe(seen);
    expect(dirname(seen)).toBe(tmpdir());
    expect(basename(seen)).toMatch(/^sk-temp-dir-.{6}$/);
    expect(readdirSync(seen)).toEqual([]);
    writeFileSync(join(seen, "left-behind"), "x");
  });
});

describe("after that suite", () => {
  it("the directory is gone, with what the suite left in it", () => {
    expect(seen).toBeDefined();
    expect(existsSync(seen!)).toBe(false);
  });
});
