import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadConfig } from "./config.ts";

const schema = z
  .object({
    PORT: z.coerce.number().int().min(1),
    SESSION_NODE_DATA_DIR: z.string().default("./data"),
    VERBOSE: z.enum(["0", "1"]).default("0"),
    REGISTRY_FILE: z.string().optional(),
  })
  .refine((e) => e.REGISTRY_FILE !== "", { message: "must not be empty", path: ["REGISTRY_FILE"] });
const load = (env: Record<string, string>, argv: string[]) =>
  loadConfig(schema, {
    env,
    argv,
    onInvalid: "throw",
    name: "test",
    flagAliases: { "data-dir": "SESSION_NODE_DATA_DIR" },
  });
const issuesOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
  }
  throw new Error("expected a ConfigError");
};

describe("loadConfig flags", () => {
  it("takes --name value, --name=value, aliases and bare flags, over the environment", () => {
    expect(load({ PORT: "1" }, [])).toMatchObject({ PORT: 1, SESSION_NODE_DATA_DIR: "./data", VERBOSE: "0" });
    expect(load({ PORT: "1" }, ["--port", "8080", "--data-dir=/srv/x", "--verbose"])).toMatchObject({
      PORT: 8080,
      SESSION_NODE_DATA_DIR: "/srv/x",
      VERBOSE: "1",
    });
    expect(load({}, ["--", "--session-node-data-dir", "/d", "--port=9"])).toMatchObject({
      PORT: 9,
      SESSION_NODE_DATA_DIR: "/d",
    });
  });

  it("lists unknown flags, stray arguments and invalid values together, with the flags there are", () => {
    const issues = issuesOf(() => load({}, ["--prot", "1", "stray", "--port", "zero"]));
    expect(issues).toContain("--prot: unknown flag");
    expect(issues).toContain("stray: not a flag (flags look like --port 8080 or --port=8080)");
    expect(issues.some((i) => i.startsWith("PORT:"))).toBe(true);
    expect(issues.at(-1)).toBe("flags: --port --session-node-data-dir --verbose --registry-file --data-dir");
    // A refinement of the whole schema still reports, flags or not.
    expect(issuesOf(() => load({ PORT: "1" }, ["--registry-file="]))).toEqual([
      "REGISTRY_FILE: must not be empty",
    ]);
  });
});
