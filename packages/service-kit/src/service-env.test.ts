import { describe, expect, it } from "vitest";
import { DEFAULT_CONNECTION_LIMITS } from "./connection-limits.ts";
import { envInt, serviceEnvSchema, serviceSettingsFromEnv } from "./service-env.ts";

describe("serviceEnvSchema", () => {
  const schema = serviceEnvSchema(
    { PORT: envInt(8080, 1), PEER: envInt(0) },
    {
      limits: { requestTimeoutMs: 120_000 },
      check: (env, ctx) => {
        if (env.PEER === env.PORT) ctx.addIssue({ code: "custom", path: ["PEER"], message: "not PORT" });
      },
    },
  );

  it("reads the log level and connection limits, with the service's own defaults over the kit's", () => {
    const env = schema.parse({ LOG_LEVEL: "debug", HTTP_HEADERS_TIMEOUT_MS: "5000" });
    expect(env.PORT).toBe(8080);
    expect(serviceSettingsFromEnv(env)).toEqual({
      logLevel: "debug",
      connections: { ...DEFAULT_CONNECTION_LIMITS, headersTimeoutMs: 5000, requestTimeoutMs: 120_000 },
    });
    expect(serviceSettingsFromEnv(schema.parse({})).logLevel).toBe("info");
  });

  it("keeps envInt's floor and coerces strings", () => {
    expect(schema.parse({ PORT: "9000" }).PORT).toBe(9000);
    expect(schema.safeParse({ PORT: "0" }).success).toBe(false);
    expect(schema.safeParse({ PORT: "1.5" }).success).toBe(false);
  });

  it("reports the service's own rule first, then the connection limits", () => {
    const r = schema.safeParse({ PORT: "7", PEER: "7", HTTP_HEADERS_TIMEOUT_MS: "200000" });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["PEER", "HTTP_HEADERS_TIMEOUT_MS"]);
  });
});
