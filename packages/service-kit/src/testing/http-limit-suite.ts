import { describe, expect, it } from "vitest";
import { type FuzzTarget, fuzzHttp, fuzzSeed, fuzzSummary, fuzzViolations } from "../fuzz-http.ts";
import { type OversizedBodyOptions, type RawResponse, sendOversizedBody } from "../raw-http.ts";
import {
  type ConnectionLimitTarget,
  concurrentOversizedBodies,
  describeConnectionLimits,
} from "./http-limit-tests.ts";

const MB = 1024 * 1024;

/**
 * The connection-limit settings (as each service's env schema reads them) made short enough to
 * test: headers must finish within 300 ms, a request within `requestTimeoutMs`, and one address
 * may hold `perAddress` connections (the same number the suite's `connections.perAddress` states).
 */
export function shortConnectionLimitsEnv(
  perAddress: number,
  requestTimeoutMs = 2000,
): Record<string, string> {
  return {
    HTTP_HEADERS_TIMEOUT_MS: "300",
    HTTP_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(perAddress),
  };
}

type Framing = OversizedBodyOptions["framing"];

/** 150 MB bodies sent to each path in each framing; the service states what it answers. */
interface OversizedBodyCases {
  paths: readonly string[];
  framings: readonly Framing[];
  /** The Content-Length a `lying` request states. */
  declaredBytes?: number;
  /** The service's own answer (status, body); whether it stopped reading is checked for it. */
  expectAnswer: (r: RawResponse, path: string, framing: Framing) => void | Promise<void>;
}

/** A server started for the fuzzer alone, with its default limits (short ones would refuse it). */
interface FuzzedServer {
  url: string;
  close(): Promise<void>;
}

interface HttpLimitSuite {
  /** Base URL of the server under test for bodies and memory (read when the tests run). */
  url: () => string;
  bodies: readonly OversizedBodyCases[];
  memory: {
    /** Paths that each get a 150 MB body at once. */
    paths: readonly string[];
    /** Rounds of concurrentOversizedBodies (default 2). */
    rounds?: number;
    /** How far the test process's RSS may grow: far below the bodies' total size. */
    maxGrowthBytes: number;
    /** What each answer must show (that the server stopped reading, or its status). */
    expectEach: (r: RawResponse) => void;
  };
  connections: ConnectionLimitTarget;
  fuzz: {
    start: () => Promise<FuzzedServer>;
    /** Routes as "METHOD /path". */
    routes: readonly string[];
    /** Requests of a first pass that warms up what any server allocates once (JIT code, pools). */
    warmupRequests: number;
    timeoutMs: number;
  };
}

/**
 * The HTTP limits every service shares, behind its real listener: an oversized body is not
 * read past the limit and its connection closes, concurrent oversized bodies leave memory
 * about where it was, the connection limits hold, and 5 000 malformed requests (seed printed,
 * `SEED=…` replays it) cause no 5xx and keep memory within FUZZ_MEMORY_BOUND.
 */
export function describeHttpLimits(name: string, suite: HttpLimitSuite): void {
  describe(`${name} body limits`, () => {
    for (const cases of suite.bodies)
      for (const path of cases.paths)
        for (const framing of cases.framings)
          it(`${path}, ${framing}: stops reading at the limit and closes the connection`, async () => {
            const r = await sendOversizedBody(`${suite.url()}${path}`, {
              framing,
              bytes: 150 * MB,
              ...(cases.declaredBytes === undefined ? {} : { declaredBytes: cases.declaredBytes }),
            });
            await cases.expectAnswer(r, path, framing);
            expect(r.closedByServer).toBe(true);
            expect(r.bytesWritten).toBeLessThan(64 * MB);
          });

    it("concurrent 150 MB bodies do not grow memory with the body size", async () => {
      const urls = suite.memory.paths.map((p) => `${suite.url()}${p}`);
      const { responses, rssGrowth } = await concurrentOversizedBodies(urls, suite.memory.rounds);
      for (const r of responses) suite.memory.expectEach(r);
      expect(rssGrowth).toBeLessThan(suite.memory.maxGrowthBytes);
    }, 60_000);
  });

  describeConnectionLimits(name, suite.connections);

  describe(`${name} fuzz`, () => {
    it(
      "5 000 malformed requests: no 5xx, memory bounded",
      async () => {
        const { fuzz } = suite;
        const seed = fuzzSeed();
        console.log(`${name} fuzz seed ${seed} (SEED=${seed} replays it)`);
        const targets = fuzz.routes.map(fuzzTarget);
        const server = await fuzz.start();
        try {
          const options = { oversizedBytes: 2 * MB };
          await fuzzHttp(server.url, targets, { ...options, seed: seed + 1, requests: fuzz.warmupRequests });
          const report = await fuzzHttp(server.url, targets, { ...options, seed });
          console.log(fuzzSummary(report));
          expect(fuzzViolations(report)).toEqual([]);
        } finally {
          await server.close();
        }
      },
      suite.fuzz.timeoutMs,
    );
  });
}

function fuzzTarget(route: string): FuzzTarget {
  const [method, path] = route.split(" ");
  if (!path || !["GET", "POST", "PUT", "DELETE"].includes(method ?? ""))
    throw new Error(`bad route ${route}`);
  return { method: method as FuzzTarget["method"], path };
}
