import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { booleanOptions, stringOptions } from "./cli-options.ts";

describe("stringOptions / booleanOptions", () => {
  it("declare one parseArgs option per name, read as values and flags", () => {
    expect(stringOptions("rpc", "data-dir")).toEqual({
      rpc: { type: "string" },
      "data-dir": { type: "string" },
    });
    const { values } = parseArgs({
      args: ["--rpc", "http://x", "--data-dir=/d", "--admin", "--no-read"],
      allowNegative: true,
      options: { ...stringOptions("rpc", "data-dir", "unused"), ...booleanOptions("admin", "read") },
    });
    // Typed as parseArgs types hand-written options: string | undefined, boolean | undefined.
    const rpc: string | undefined = values.rpc;
    const admin: boolean | undefined = values.admin;
    expect({ rpc, admin }).toEqual({ rpc: "http://x", admin: true });
    expect(values).toEqual({ rpc: "http://x", "data-dir": "/d", admin: true, read: false });
    expect(() => parseArgs({ args: ["--admin=yes"], options: booleanOptions("admin") })).toThrow();
    expect(() => parseArgs({ args: ["--rpc"], options: stringOptions("rpc") })).toThrow();
  });
});
