import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { nodeEnvSchema } from "../config.ts";
import { workerCount } from "./start.ts";

describe("SESSION_NODE_WORKERS", () => {
  const env = (extra: Record<string, string>) =>
    nodeEnvSchema.safeParse({ REGISTRY_FILE: "/r.json", ...extra });

  it("defaults to every core (`auto`); a count is taken as given; a config without it is one process", () => {
    const unset = env({});
    expect(unset.success && unset.data.SESSION_NODE_WORKERS).toBe("auto");
    const auto = env({ SESSION_NODE_WORKERS: "auto" });
    expect(auto.success && workerCount(auto.data.SESSION_NODE_WORKERS)).toBe(availableParallelism());
    const three = env({ SESSION_NODE_WORKERS: "3" });
    expect(three.success && workerCount(three.data.SESSION_NODE_WORKERS)).toBe(3);
    expect(workerCount(undefined)).toBe(1);
  });

  it("refuses what is not a count from 1 or `auto`", () => {
    for (const bad of ["0", "-2", "1.5", "all"])
      expect(env({ SESSION_NODE_WORKERS: bad }).success, bad).toBe(false);
  });
});
