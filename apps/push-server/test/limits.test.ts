import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x25519Keypair } from "@session/crypto";
import { connectionLimitsFromEnv, createLogger, type RunningServer, startServer } from "@session/service-kit";
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
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import { LogNotifier } from "../src/notifiers/log.ts";
import { createApp, type PushServer } from "../src/server.ts";

const MB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "push-limits-"));
const logger = createLogger({ name: "test", level: "silent" });
let repo: SqliteSubscriptionRepo;
let push: PushServer;
let server: RunningServer;

beforeAll(async () => {
  repo = SqliteSubscriptionRepo.open(join(dir, "db.sqlite"));
  push = createApp({
    repo,
    notifiers: new Map([["firebase", new LogNotifier("firebase", logger)]]),
    logger,
    fetch,
    listNodes: async () => [],
    x25519Keys: x25519Keypair(),
  });
  // The limits as main.ts reads them, made short for the test.
  const env = envSchema.parse({
    SEED_NODES: "http://127.0.0.1:1",
    HTTP_HEADERS_TIMEOUT_MS: "300",
    HTTP_REQUEST_TIMEOUT_MS: "2000",
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: "8",
  });
  server = await startServer(push.app, { port: 0, connections: connectionLimitsFromEnv(env) });
});
afterAll(async () => {
  await server.close();
  push.stop();
  await repo.close();
  rmSync(dir, { recursive: true, force: true });
});

const TOO_LARGE = { error: 1, message: "Invalid request: request too large" };

describe("push server body limits", () => {
  for (const path of ["/subscribe", "/unsubscribe"])
    for (const framing of ["chunked", "declared", "lying"] as const)
      it(`${path}, ${framing}: stops reading at 100 000 bytes and closes the connection`, async () => {
        const r = await sendOversizedBody(`${server.url}${path}`, {
          framing,
          bytes: 150 * MB,
          declaredBytes: 10,
        });
        if (framing === "lying") {
          // 10 declared bytes of "{{{…" are bad JSON; the rest is no request at all.
          expect([200, 400]).toContain(r.status);
        } else {
          // spns answers an oversized body with HTTP 200 and BAD_INPUT (register.py).
          expect(r.status).toBe(200);
          expect(JSON.parse(r.body)).toEqual(TOO_LARGE);
          expect(r.headers.connection).toBe("close");
        }
        expect(r.closedByServer).toBe(true);
        expect(r.bytesWritten).toBeLessThan(64 * MB);
      });

  it("the onion endpoint answers 413 PAYLOAD_TOO_LARGE", async () => {
    const r = await sendOversizedBody(`${server.url}/oxen/v4/lsrpc`, { framing: "chunked", bytes: 150 * MB });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(r.closedByServer).toBe(true);
  });

  it("six concurrent 150 MB bodies do not grow memory with the body size", async () => {
    const urls = ["/subscribe", "/unsubscribe", "/oxen/v4/lsrpc"].map((p) => `${server.url}${p}`);
    const { responses, rssGrowth } = await concurrentOversizedBodies(urls);
    for (const r of responses) expect(r.closedByServer).toBe(true);
    // Reading them whole took the server from 403 MB to 1.2 GB.
    expect(rssGrowth).toBeLessThan(64 * MB);
  }, 60_000);
});

describeConnectionLimits("push server", {
  url: () => server.url,
  requestLine: "POST /subscribe",
  perAddress: 8,
  openConnectionsFrom: (a) => server.openConnectionsFrom(a),
});

describe("push server fuzz", () => {
  it("5 000 malformed requests: no 5xx, memory bounded", async () => {
    const seed = fuzzSeed();
    console.log(`push-server fuzz seed ${seed} (SEED=${seed} replays it)`);
    // A server of its own with the default limits: the short ones above would refuse the fuzzer.
    const fuzzed = await startServer(push.app, { port: 0 });
    const targets = [
      { method: "POST", path: "/subscribe" },
      { method: "POST", path: "/unsubscribe" },
      { method: "POST", path: "/oxen/v4/lsrpc" },
      { method: "GET", path: "/health" },
      { method: "POST", path: "/nope" },
    ] as const;
    // A first pass warms up what any server allocates once (JIT code, pools, caches).
    await fuzzHttp(fuzzed.url, targets, { seed: seed + 1, requests: 1000, oversizedBytes: 2 * MB });
    const report = await fuzzHttp(fuzzed.url, targets, { seed, oversizedBytes: 2 * MB });
    await fuzzed.close();
    console.log(fuzzSummary(report));
    // No 5xx for bad input, and memory within FUZZ_MEMORY_BOUND.
    expect(fuzzViolations(report)).toEqual([]);
  }, 60_000);
});
