import fc from "fast-check";
import { collectGarbage, rssBytes } from "./raw-http.ts";

/** A route to aim malformed requests at. */
export interface FuzzTarget {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
}

interface FuzzOptions {
  /** Requests to send (default 5 000). */
  requests?: number;
  /** fast-check seed; printed by the caller so a failure can be replayed. */
  seed: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Size of the oversized bodies (one request in 25 has one); should exceed every route's limit. */
  oversizedBytes: number;
  /** Extra headers on every request (e.g. a test-only switch). */
  headers?: Record<string, string>;
}

interface FuzzReport {
  seed: number;
  /** Responses by status; 0 counts requests whose connection the server closed instead. */
  statuses: Record<number, number>;
  /** Every 5xx, with the kind of input that caused it. */
  serverErrors: { status: number; method: string; path: string; kind: string }[];
  rssBefore: number;
  /** Highest resident set size sampled while the requests ran. */
  rssPeak: number;
  rssAfter: number;
  /** V8 heap in use after a full collection, before and after: what the run kept alive. */
  heapBefore: number;
  heapAfter: number;
}

type Kind =
  | "random-bytes"
  | "bad-json"
  | "wrong-types"
  | "oversized"
  | "bad-headers"
  | "empty"
  | "random-path";

interface Case {
  kind: Kind;
  target: FuzzTarget;
  bytes: Uint8Array;
  text: string;
  json: unknown;
  header: [string, string];
  chunked: boolean;
}

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const headerValue = fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""));

function cases(targets: readonly FuzzTarget[], o: FuzzOptions): Case[] {
  const arb = fc.record({
    kind: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom<Kind>("random-bytes", "bad-json", "wrong-types", "bad-headers"),
      },
      { weight: 1, arbitrary: fc.constantFrom<Kind>("oversized", "empty", "random-path") },
    ),
    target: fc.constantFrom(...targets),
    bytes: fc.uint8Array({ maxLength: 4096 }),
    text: fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .json()
        .map((j) => j.slice(0, Math.max(1, j.length - 1))), // truncated JSON
      fc.constantFrom("{", "[", '{"a":', "nul", "{}}", '"\\u12"', "\uFEFF{}", "[".repeat(5000)),
    ),
    json: fc.jsonValue({ maxDepth: 4 }),
    header: fc.tuple(
      fc.oneof(
        fc.constantFrom("content-type", "content-encoding", "accept", "x-fs-ttl", "authorization"),
        token,
      ),
      headerValue,
    ),
    chunked: fc.boolean(),
  });
  return fc.sample(arb, { seed: o.seed, numRuns: o.requests ?? 5000 });
}

function requestFor(
  c: Case,
  baseUrl: string,
  o: FuzzOptions,
  oversized: Uint8Array<ArrayBuffer>,
): { url: string; init: RequestInit } {
  const method = c.target.method;
  const headers: Record<string, string> = { ...o.headers };
  let path = c.target.path;
  let body: RequestInit["body"] | undefined;
  switch (c.kind) {
    case "random-bytes":
      body = c.bytes as Uint8Array<ArrayBuffer>;
      headers["content-type"] = "application/octet-stream";
      break;
    case "bad-json":
      body = c.text;
      headers["content-type"] = "application/json";
      break;
    case "wrong-types":
      body = JSON.stringify(c.json);
      headers["content-type"] = "application/json";
      break;
    case "oversized":
      body = c.chunked ? new Blob([oversized]).stream() : oversized;
      break;
    case "bad-headers":
      headers[c.header[0]] = c.header[1];
      body = c.bytes.length % 2 ? JSON.stringify(c.json) : (c.bytes as Uint8Array<ArrayBuffer>);
      break;
    case "empty":
      break;
    case "random-path":
      path = `${path.replace(/\/$/, "")}/${encodeURIComponent(c.text.slice(0, 100))}`;
      break;
  }
  if (method === "GET") body = undefined;
  return {
    url: `${baseUrl}${path}`,
    init: {
      method,
      headers,
      ...(body === undefined ? {} : { body, duplex: "half" }),
      signal: AbortSignal.timeout(15_000),
    } as RequestInit,
  };
}

/**
 * Sends `requests` malformed requests (random bytes, truncated and wrongly typed JSON, bodies
 * over the limits, odd headers, random paths) to `targets` on a running server, and reports
 * the statuses, every 5xx and the process's memory before, during and after. The server runs in
 * this process (tests start it on port 0), so its memory is what is measured.
 */
export async function fuzzHttp(
  baseUrl: string,
  targets: readonly FuzzTarget[],
  options: FuzzOptions,
): Promise<FuzzReport> {
  const all = cases(targets, options);
  const statuses: Record<number, number> = {};
  const serverErrors: FuzzReport["serverErrors"] = [];
  const oversized = new Uint8Array(options.oversizedBytes).fill(0x7b);
  const rssBefore = rssBytes();
  const heapBefore = process.memoryUsage().heapUsed;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 25);
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const c = all[next++]!;
      let url: string;
      let init: RequestInit;
      try {
        ({ url, init } = requestFor(c, baseUrl, options, oversized));
      } catch {
        continue;
      }
      let status = 0;
      try {
        const res = await fetch(url, init);
        status = res.status;
        await res.arrayBuffer().catch(() => {});
      } catch {
        status = 0; // refused by fetch itself (a header it will not send) or closed by the server
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 500)
        serverErrors.push({ status, method: c.target.method, path: c.target.path, kind: c.kind });
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  } finally {
    clearInterval(sampler);
  }
  const rssAfter = rssBytes();
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  return {
    seed: options.seed,
    statuses,
    serverErrors,
    rssBefore,
    rssPeak: Math.max(rssPeak, rssAfter),
    rssAfter,
    heapBefore,
    heapAfter,
  };
}

/** A seed from SEED= (replaying a run) or a fresh one; print it. */
export function fuzzSeed(): number {
  const fromEnv = process.env.SEED;
  return fromEnv !== undefined && /^\d+$/.test(fromEnv)
    ? Number(fromEnv)
    : Math.floor(Math.random() * 2 ** 31);
}

/** One line for a test's output: statuses and memory in MB. */
export function fuzzSummary(r: FuzzReport): string {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
  return `fuzz seed ${r.seed}: statuses ${JSON.stringify(r.statuses)}; RSS ${mb(r.rssBefore)} MB before, peak ${mb(r.rssPeak)} MB, ${mb(r.rssAfter)} MB after; heap ${mb(r.heapBefore)} → ${mb(r.heapAfter)} MB`;
}

/**
 * The memory bound every service's fuzz suite states: after the run (and a full collection) the
 * V8 heap holds at most 32 MB more than before, and the process's RSS never rises more than
 * 256 MB above where it began (client and server share the process; RSS also keeps freed pages,
 * so it gets the looser bound). One oversized body read whole per request would break both.
 */
export const FUZZ_MEMORY_BOUND = { heapGrowthBytes: 32 * 1024 * 1024, rssPeakGrowthBytes: 256 * 1024 * 1024 };

/** What in a fuzz report breaks the stated bounds: 5xx answers and memory; empty when none. */
export function fuzzViolations(r: FuzzReport): string[] {
  const out = r.serverErrors.map((e) => `${e.status} for ${e.kind} ${e.method} ${e.path}`);
  if (r.heapAfter - r.heapBefore > FUZZ_MEMORY_BOUND.heapGrowthBytes) out.push("heap grew past the bound");
  if (r.rssPeak - r.rssBefore > FUZZ_MEMORY_BOUND.rssPeakGrowthBytes) out.push("RSS rose past the bound");
  return out;
}
