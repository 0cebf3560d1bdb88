import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSeed, keypairFromSeed } from "@session/crypto";
import { connectionLimitsFromEnv, createLogger } from "@session/service-kit";
import {
  concurrentOversizedBodies,
  describeConnectionLimits,
  fuzzHttp,
  fuzzSeed,
  fuzzSummary,
  fuzzViolations,
  sendOversizedBody,
} from "@session/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envSchema } from "../src/config.ts";
import { type RunningIndexer, startIndexer } from "../src/index.ts";
import { chainFixture, type Fixture } from "./chain-fixture.ts";

const MB = 1024 * 1024;
const logger = createLogger({ name: "sns-indexer-test", level: "silent" });
let f: Fixture;
let dir: string;
let indexer: RunningIndexer;
let fuzzTarget: RunningIndexer;

beforeAll(async () => {
  f = await chainFixture();
  await f.registerNode({});
  await f.registerName("alice", keypairFromSeed(generateSeed()).sessionId);
  dir = mkdtempSync(join(tmpdir(), "sns-limits-"));
  const env = envSchema.parse({
    SNS_RPC_URL: "http://unused",
    SNS_REGISTRY_ADDRESS: f.deployment.serviceNodeRegistry,
    SNS_NAMES_ADDRESS: f.deployment.sessionNameService,
    HTTP_HEADERS_TIMEOUT_MS: "300",
    HTTP_REQUEST_TIMEOUT_MS: "2000",
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: "8",
  });
  const config = {
    rpcUrl: "http://unused",
    addresses: { registry: f.deployment.serviceNodeRegistry, names: f.deployment.sessionNameService },
    startBlock: f.deployment.deploymentBlock,
    confirmations: 0,
    batchSize: 50,
    reorgDepth: 16,
    pollMs: 200,
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
  };
  const opts = { eip1193: f.chain.eip1193, logger };
  indexer = await startIndexer(
    { ...config, databaseUrl: `sqlite:${join(dir, "a.sqlite")}`, connections: connectionLimitsFromEnv(env) },
    opts,
  );
  // Default limits for the fuzzer (the short ones above would refuse it).
  fuzzTarget = await startIndexer({ ...config, databaseUrl: `sqlite:${join(dir, "b.sqlite")}` }, opts);
}, 120_000);

afterAll(async () => {
  await indexer?.stop();
  await fuzzTarget?.stop();
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sns-indexer body limits", () => {
  for (const framing of ["chunked", "declared", "lying"] as const)
    it(`${framing}: a 150 MB body is not read, and the connection closes`, async () => {
      const r = await sendOversizedBody(`${indexer.url}/v1/nodes`, {
        framing,
        bytes: 150 * MB,
        declaredBytes: 10,
      });
      if (framing === "declared") {
        expect(r.status).toBe(413);
        expect(JSON.parse(r.body).error.code).toBe("PAYLOAD_TOO_LARGE");
      } else {
        // No route takes a body: the answer is the route's own (404 for POST), or node:http's 400
        // for what follows a false length.
        expect([400, 404, 413]).toContain(r.status);
      }
      expect(r.closedByServer).toBe(true);
      expect(r.bytesWritten).toBeLessThan(64 * MB);
    });

  it("six concurrent 150 MB bodies do not grow memory with the body size", async () => {
    const urls = ["/v1/nodes", "/v1/stats", "/health"].map((p) => `${indexer.url}${p}`);
    const { responses, rssGrowth } = await concurrentOversizedBodies(urls);
    for (const r of responses) expect(r.closedByServer).toBe(true);
    expect(rssGrowth).toBeLessThan(64 * MB);
  }, 60_000);
});

describeConnectionLimits("sns-indexer", {
  url: () => indexer.url,
  requestLine: "GET /v1/nodes",
  perAddress: 8,
});

describe("sns-indexer fuzz", () => {
  it("5 000 malformed requests: no 5xx, memory bounded", async () => {
    const seed = fuzzSeed();
    console.log(`sns-indexer fuzz seed ${seed} (SEED=${seed} replays it)`);
    const targets = [
      { method: "GET", path: "/v1/nodes" },
      { method: "GET", path: "/v1/nodes/00" },
      { method: "GET", path: "/v1/names/0x00" },
      { method: "GET", path: "/v1/stats" },
      { method: "POST", path: "/v1/nodes" },
      { method: "PUT", path: "/v1/names/x" },
    ] as const;
    await fuzzHttp(fuzzTarget.url, targets, { seed: seed + 1, requests: 500, oversizedBytes: 2 * MB });
    const report = await fuzzHttp(fuzzTarget.url, targets, { seed, oversizedBytes: 2 * MB });
    console.log(fuzzSummary(report));
    expect(fuzzViolations(report)).toEqual([]);
  }, 90_000);
});
