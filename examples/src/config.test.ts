import { ConfigError } from "@session/service-kit";
import { describe, expect, it } from "vitest";
import { loadExampleConfig } from "./config.ts";

const base = { SESSION_NETWORK: "https://127.0.0.1:22021#sha256=ab", SESSION_DATA_DIR: "/data" };

function issues(env: Record<string, string>, example?: "2fa"): readonly string[] {
  try {
    loadExampleConfig({ env, onInvalid: "throw", ...(example ? { example } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("example service configuration", () => {
  it("EXAMPLE picks the service; PORT and HOST have defaults", () => {
    expect(loadExampleConfig({ env: { ...base, EXAMPLE: "broadcaster" }, onInvalid: "throw" })).toMatchObject(
      {
        EXAMPLE: "broadcaster",
        PORT: 0,
        HOST: "127.0.0.1",
        SESSION_DATA_DIR: "/data",
      },
    );
    expect(
      loadExampleConfig({
        env: { ...base, PORT: "8200", HOST: "0.0.0.0" },
        example: "2fa",
        onInvalid: "throw",
      }),
    ).toMatchObject({ EXAMPLE: "2fa", PORT: 8200, HOST: "0.0.0.0" });
  });

  it("names every bad variable on its own line", () => {
    expect(issues({ EXAMPLE: "sms", PORT: "80000" })).toEqual([
      "EXAMPLE: required, one of 2fa, broadcaster",
      expect.stringMatching(/^SESSION_NETWORK: required/),
      expect.stringMatching(/^SESSION_DATA_DIR: required/),
      "PORT: must be a port number",
    ]);
    expect(issues({ ...base, PORT: "http" }, "2fa")).toEqual(["PORT: must be a port number"]);
  });

  it("the image's entry point needs EXAMPLE", () => {
    expect(issues(base)).toEqual(["EXAMPLE: required, one of 2fa, broadcaster"]);
  });
});
