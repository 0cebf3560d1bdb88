import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x25519Keypair } from "@session/crypto";
import { connectionLimitsFromEnv, createLogger, type RunningServer, startServer } from "@session/service-kit";
import { describeHttpLimits, shortConnectionLimitsEnv } from "@session/service-kit/testing";
import { afterAll, beforeAll, expect } from "vitest";
import { envSchema } from "../src/config.ts";
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import type { PushServer } from "../src/server.ts";
import { logOnlyPushApp } from "./helpers.ts";

const MB = 1024 * 1024;
const PER_ADDRESS = 8;
const dir = mkdtempSync(join(tmpdir(), "push-limits-"));
const logger = createLogger({ name: "test", level: "silent" });
let repo: SqliteSubscriptionRepo;
let push: PushServer;
let server: RunningServer;

beforeAll(async () => {
  repo = SqliteSubscriptionRepo.open(join(dir, "db.sqlite"));
  push = logOnlyPushApp(repo, logger, {
    x25519Keys: x25519Keypair(),
  });
  // The limits as main.ts reads them, made short for the test.
  const env = envSchema.parse({ SEED_NODES: "http://127.0.0.1:1", ...shortConnectionLimitsEnv(PER_ADDRESS) });
  server = await startServer(push.app, { port: 0, connections: connectionLimitsFromEnv(env) });
});
afterAll(async () => {
  await server.close();
  push.stop();
  await repo.close();
  rmSync(dir, { recursive: true, force: true });
});

const TOO_LARGE = { error: 1, message: "Invalid request: request too large" };

describeHttpLimits("push server", {
  url: () => server.url,
  bodies: [
    {
      paths: ["/subscribe", "/unsubscribe"],
      framings: ["chunked", "declared", "lying"],
      declaredBytes: 10,
      expectAnswer: (r, _path, framing) => {
        if (framing === "lying") {
          // 10 declared bytes of "{{{…" are bad JSON; the rest is no request at all.
          expect([200, 400]).toContain(r.status);
          return;
        }
        // spns answers an oversized body with HTTP 200 and BAD_INPUT (register.py).
        expect(r.status).toBe(200);
        expect(JSON.parse(r.body)).toEqual(TOO_LARGE);
        expect(r.headers.connection).toBe("close");
      },
    },
    {
      paths: ["/oxen/v4/lsrpc"],
      framings: ["chunked"],
      expectAnswer: (r) => {
        expect(r.status).toBe(413);
        expect(JSON.parse(r.body).error.code).toBe("PAYLOAD_TOO_LARGE");
      },
    },
  ],
  // Reading them whole took the server from 403 MB to 1.2 GB.
  memory: {
    paths: ["/subscribe", "/unsubscribe", "/oxen/v4/lsrpc"],
    maxGrowthBytes: 64 * MB,
    expectEach: (r) => expect(r.closedByServer).toBe(true),
  },
  connections: {
    url: () => server.url,
    requestLine: "POST /subscribe",
    perAddress: PER_ADDRESS,
    openConnectionsFrom: (a) => server.openConnectionsFrom(a),
  },
  fuzz: {
    start: () => startServer(push.app, { port: 0 }),
    routes: ["POST /subscribe", "POST /unsubscribe", "POST /oxen/v4/lsrpc", "GET /health", "POST /nope"],
    warmupRequests: 1000,
    timeoutMs: 120_000,
  },
});
