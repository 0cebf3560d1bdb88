import { join } from "node:path";
import { generateSeed, keypairFromSeed } from "@session/crypto";
import { connectionLimitsFromEnv, createLogger } from "@session/service-kit";
import { describeHttpLimits, shortConnectionLimitsEnv, suiteTempDir } from "@session/service-kit/testing";
import { afterAll, beforeAll, expect } from "vitest";
import { envSchema } from "../src/config.ts";
import { type RunningIndexer, startIndexer } from "../src/index.ts";
import { chainFixture, type Fixture } from "./chain-fixture.ts";
import { indexerTestConfig } from "./helpers.ts";

const MB = 1024 * 1024;
const PER_ADDRESS = 8;
const logger = createLogger({ name: "sns-indexer-test", level: "silent" });
const dir = suiteTempDir("sns-limits-");
let f: Fixture;
let indexer: RunningIndexer;
let fuzzTarget: RunningIndexer;

beforeAll(async () => {
  f = await chainFixture();
  await f.registerNode({});
  await f.registerName("alice", keypairFromSeed(generateSeed()).sessionId);
  const env = envSchema.parse({
    SNS_RPC_URL: "http://unused",
    SNS_REGISTRY_ADDRESS: f.deployment.serviceNodeRegistry,
    SNS_NAMES_ADDRESS: f.deployment.sessionNameService,
    ...shortConnectionLimitsEnv(PER_ADDRESS),
  });
  const config = (file: string) =>
    indexerTestConfig(f, `sqlite:${join(dir(), file)}`, { batchSize: 50, pollMs: 200 });
  const opts = { eip1193: f.chain.eip1193, logger };
  indexer = await startIndexer({ ...config("a.sqlite"), connections: connectionLimitsFromEnv(env) }, opts);
  // Default limits for the fuzzer (the short ones above would refuse it).
  fuzzTarget = await startIndexer(config("b.sqlite"), opts);
}, 120_000);

afterAll(async () => {
  await indexer?.stop();
  await fuzzTarget?.stop();
  await f?.close();
});

describeHttpLimits("sns-indexer", {
  url: () => indexer.url,
  bodies: [
    {
      paths: ["/v1/nodes"],
      framings: ["chunked", "declared", "lying"],
      declaredBytes: 10,
      expectAnswer: (r, _path, framing) => {
        if (framing === "declared") {
          expect(r.status).toBe(413);
          expect(JSON.parse(r.body).error.code).toBe("PAYLOAD_TOO_LARGE");
        } else {
          // No route takes a body: the answer is the route's own (404 for POST), or node:http's 400
          // for what follows a false length.
          expect([400, 404, 413]).toContain(r.status);
        }
      },
    },
  ],
  memory: {
    paths: ["/v1/nodes", "/v1/stats", "/health"],
    maxGrowthBytes: 64 * MB,
    expectEach: (r) => expect(r.closedByServer).toBe(true),
  },
  connections: { url: () => indexer.url, requestLine: "GET /v1/nodes", perAddress: PER_ADDRESS },
  fuzz: {
    // Started with default limits in beforeAll (the short ones would refuse the fuzzer).
    start: async () => ({ url: fuzzTarget.url, close: async () => {} }),
    routes: [
      "GET /v1/nodes",
      "GET /v1/nodes/00",
      "GET /v1/names/0x00",
      "GET /v1/stats",
      "POST /v1/nodes",
    ].concat("PUT /v1/names/x"),
    warmupRequests: 500,
    timeoutMs: 90_000,
  },
});
