import { describe, expect, it } from "vitest";
import { configFromEnv } from "./config.ts";

describe("config", () => {
  it("parses defaults and seed lists", () => {
    const c = configFromEnv({ SEED_NODES: "http://a:1, http://b:2" }, "throw");
    expect(c.SEED_NODES).toEqual(["http://a:1", "http://b:2"]);
    expect(c.FIREBASE_NOTIFIER).toBe("log");
    expect(c.NODES_PER_ACCOUNT).toBe(2);
  });

  it("names every bad variable", () => {
    expect(() => configFromEnv({ PORT: "x" }, "throw")).toThrow(/PORT/);
    expect(() => configFromEnv({}, "throw")).toThrow(/SEED_NODES[\s\S]*or INDEXER_URL is required/);
    expect(configFromEnv({ INDEXER_URL: "http://127.0.0.1:8090" }, "throw").SEED_NODES).toEqual([]);
    expect(() => configFromEnv({ SEED_NODES: "http://a:1", FIREBASE_NOTIFIER: "fcm" }, "throw")).toThrow(
      /FCM_PROJECT_ID and FCM_ACCESS_TOKEN are required/,
    );
    expect(() => configFromEnv({ SEED_NODES: "http://a:1", PUSH_X25519_SECRET_KEY: "zz" }, "throw")).toThrow(
      /PUSH_X25519_SECRET_KEY: must be 64 hex digits/,
    );
  });
});
