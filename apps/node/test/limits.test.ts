import { join } from "node:path";
import {
  concurrentOversizedBodies,
  describeConnectionLimits,
  type FuzzTarget,
  fuzzHttp,
  fuzzSeed,
  fuzzSummary,
  fuzzViolations,
  sendOversizedBody,
} from "@session/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, nodeEnvSchema } from "../src/config.ts";
import { type RunningNode, startNode } from "../src/node.ts";
import { nodeConfig, silent, TestNet } from "./helpers/node-net.ts";

const MB = 1024 * 1024;
const net = new TestNet();
let node: RunningNode;
let limited: RunningNode;

beforeAll(async () => {
  [node] = (await net.start(1)) as [RunningNode];
  // The limits as main.ts reads them, made short for the test.
  const { connections } = configFromEnv(
    nodeEnvSchema.parse({
      REGISTRY_FILE: net.registry,
      HTTP_HEADERS_TIMEOUT_MS: "300",
      HTTP_REQUEST_TIMEOUT_MS: "2000",
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: "4",
    }),
  );
  limited = await startNode(nodeConfig(join(net.dir, "limited"), net.registry, { connections }), {
    logger: silent,
  });
});
afterAll(async () => {
  await limited.stop();
  await net.stop();
});

const ROUTES = [
  "/storage_rpc/v1",
  "/node_rpc/v1",
  "/oxen/v4/lsrpc",
  "/onion_req/v2",
  "/monitor/v1/stream",
  "/sn/onion_request",
];

describe("node body limits", () => {
  for (const path of ROUTES)
    for (const framing of ["chunked", "declared"] as const)
      it(`${path}, ${framing}: refused at the limit, connection closed`, async () => {
        const r = await sendOversizedBody(`${node.url}${path}`, { framing, bytes: 150 * MB });
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(r.closedByServer).toBe(true);
        expect(r.bytesWritten).toBeLessThan(64 * MB);
      });

  it("a Content-Length smaller than the body is held to it, and the connection closed", async () => {
    const r = await sendOversizedBody(`${node.url}/storage_rpc/v1`, {
      framing: "lying",
      declaredBytes: 10,
      bytes: 150 * MB,
    });
    expect([400, 413]).toContain(r.status);
    expect(r.closedByServer).toBe(true);
    expect(r.bytesWritten).toBeLessThan(64 * MB);
  });

  it("six concurrent 150 MB bodies do not grow memory with the body size", async () => {
    const urls = ROUTES.concat("/storage_rpc/v1").map((p) => `${node.url}${p}`);
    const { responses, rssGrowth } = await concurrentOversizedBodies(urls, 1);
    for (const r of responses) expect(r.closedByServer).toBe(true);
    // The node's limit is 10 MiB a body: six of them, not six times 150 MB.
    expect(rssGrowth).toBeLessThan(96 * MB);
  }, 60_000);
});

describeConnectionLimits("node", {
  url: () => limited.url,
  requestLine: "POST /storage_rpc/v1",
  perAddress: 4,
});

describe("node fuzz", () => {
  it("5 000 malformed requests: no 5xx, memory bounded", async () => {
    const seed = fuzzSeed();
    console.log(`node fuzz seed ${seed} (SEED=${seed} replays it)`);
    const small = await startNode(
      nodeConfig(join(net.dir, "fuzzed"), net.registry, { maxBodyBytes: 256 * 1024 }),
      { logger: silent },
    );
    // Registered, so /health answers 200 (an unregistered node says 503 by design).
    await net.publish([...net.nodes, small]);
    await small.refreshRegistry();
    const targets: FuzzTarget[] = [
      ...ROUTES.map((path) => ({ method: "POST" as const, path })),
      { method: "POST", path: "/monitor/v1/subscribe" },
      { method: "GET", path: "/health" },
    ];
    try {
      await fuzzHttp(small.url, targets, { seed: seed + 1, requests: 300, oversizedBytes: 2 * MB });
      const report = await fuzzHttp(small.url, targets, { seed, oversizedBytes: 2 * MB });
      console.log(fuzzSummary(report));
      expect(fuzzViolations(report)).toEqual([]);
    } finally {
      await small.stop();
    }
  }, 90_000);
});
