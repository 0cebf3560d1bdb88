import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configFromEnv, envSchema } from "./config.ts";

describe("indexer config from a deployment file", () => {
  it("starts at the file's deployment block unless SNS_START_BLOCK says otherwise", () => {
    const dir = mkdtempSync(join(tmpdir(), "sns-config-"));
    const file = join(dir, "arbitrumSepolia.json");
    writeFileSync(
      file,
      JSON.stringify({
        chainId: 421614,
        serviceNodeRegistry: `0x${"11".repeat(20)}`,
        sessionNameService: `0x${"22".repeat(20)}`,
        deploymentBlock: 123456,
      }),
    );
    const base = { SNS_RPC_URL: "http://127.0.0.1:1", SNS_DEPLOYMENT_FILE: file };
    const c = configFromEnv(envSchema.parse(base));
    expect(c.startBlock).toBe(123456);
    expect(c.addresses.registry).toBe(`0x${"11".repeat(20)}`);
    expect(configFromEnv(envSchema.parse({ ...base, SNS_START_BLOCK: "7" })).startBlock).toBe(7);
    rmSync(dir, { recursive: true, force: true });
  });
});
