import { ConfigError, loadConfig } from "@session/service-kit";
import { describe, expect, it } from "vitest";
import { databaseUrl, envSchema } from "./config.ts";

const load = (env: Record<string, string>) => loadConfig(envSchema, { env, onInvalid: "throw" });

describe("file server config", () => {
  it("has the documented defaults", () => {
    const env = load({});
    expect(env.FS_MAX_FILE_SIZE).toBe(10_000_000);
    expect(env.FS_DEFAULT_TTL_SECONDS).toBe(14 * 86_400);
    expect(env.FS_DIRECT_CLIENT_ROUTES).toBe(false);
    expect(env.FS_STORAGE).toBe("disk");
    expect(databaseUrl(env)).toBe("sqlite:data/files.db");
  });

  it("parses flags, numbers, versions and database URLs", () => {
    const env = load({
      FS_DIRECT_CLIENT_ROUTES: "1",
      FS_MAX_FILE_SIZE: "6000000",
      FS_SESSION_VERSIONS: '{"desktop":"1.2.3"}',
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test",
    });
    expect(env.FS_DIRECT_CLIENT_ROUTES).toBe(true);
    expect(env.FS_MAX_FILE_SIZE).toBe(6_000_000);
    expect(env.FS_SESSION_VERSIONS).toEqual({ desktop: "1.2.3" });
    expect(databaseUrl(env)).toBe("postgres://postgres@127.0.0.1:5432/test");
  });

  it("names every bad variable", () => {
    let err: ConfigError | undefined;
    try {
      load({
        FS_STORAGE: "s3",
        FS_X25519_SECRET_KEY: "abc",
        FS_MAX_FILE_SIZE: "-1",
        DATABASE_URL: "mysql://x",
        FS_SESSION_VERSIONS: "{nope",
      });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const vars = err!.issues.map((i) => i.split(":")[0]);
    expect(vars).toEqual(
      expect.arrayContaining([
        "FS_X25519_SECRET_KEY",
        "FS_MAX_FILE_SIZE",
        "DATABASE_URL",
        "FS_SESSION_VERSIONS",
      ]),
    );
  });

  it("requires the S3 settings with FS_STORAGE=s3", () => {
    expect(() => load({ FS_STORAGE: "s3" })).toThrow(/S3_ENDPOINT: required when FS_STORAGE=s3/);
    expect(
      load({
        FS_STORAGE: "s3",
        S3_ENDPOINT: "http://127.0.0.1:9000",
        S3_BUCKET: "b",
        S3_ACCESS_KEY_ID: "k",
        S3_SECRET_ACCESS_KEY: "s",
      }).S3_BUCKET,
    ).toBe("b");
  });
});
