import { join } from "node:path";
import { describeHttpLimits, shortConnectionLimitsEnv } from "@session/service-kit/testing";
import { afterAll, beforeAll, expect } from "vitest";
import { configFromEnv, nodeEnvSchema } from "../src/config.ts";
import { type RunningNode, startNode } from "../src/node.ts";
import { nodeConfig, silent, TestNet } from "./helpers/node-net.ts";

const MB = 1024 * 1024;
const PER_ADDRESS = 4;
const net = new TestNet();
let node: RunningNode;
let limited: RunningNode;

beforeAll(async () => {
  [node] = (await net.start(1)) as [RunningNode];
  // The limits as main.ts reads them, made short for the test.
  const { connections } = configFromEnv(
    nodeEnvSchema.parse({ REGISTRY_FILE: net.registry, ...shortConnectionLimitsEnv(PER_ADDRESS) }),
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

describeHttpLimits("node", {
  url: () => node.url,
  bodies: [
    {
      paths: ROUTES,
      framings: ["chunked", "declared"],
      expectAnswer: (r) => {
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
      },
    },
    {
      // A Content-Length smaller than the body is held to it.
      paths: ["/storage_rpc/v1"],
      framings: ["lying"],
      declaredBytes: 10,
      expectAnswer: (r) => expect([400, 413]).toContain(r.status),
    },
  ],
  // The node's limit is 10 MiB a body: seven of them, not seven times 150 MB.
  memory: {
    paths: ROUTES.concat("/storage_rpc/v1"),
    rounds: 1,
    maxGrowthBytes: 96 * MB,
    expectEach: (r) => expect(r.closedByServer).toBe(true),
  },
  connections: { url: () => limited.url, requestLine: "POST /storage_rpc/v1", perAddress: PER_ADDRESS },
  fuzz: {
    start: async () => {
      const small = await startNode(
        nodeConfig(join(net.dir, "fuzzed"), net.registry, { maxBodyBytes: 256 * 1024 }),
        { logger: silent },
      );
      // Registered, so /health answers 200 (an unregistered node says 503 by design).
      await net.publish([...net.nodes, small]);
      await small.refreshRegistry();
      return { url: small.url, close: () => small.stop() };
    },
    routes: [...ROUTES.map((path) => `POST ${path}`), "POST /monitor/v1/subscribe", "GET /health"],
    warmupRequests: 300,
    timeoutMs: 90_000,
  },
});
