import { PassThrough } from "node:stream";
import { connectionLimitsFromEnv, createLogger } from "@session/service-kit";
import {
  concurrentOversizedBodies,
  describeConnectionLimits,
  fuzzHttp,
  fuzzSeed,
  fuzzSummary,
  fuzzViolations,
  rawConnect,
  sendOversizedBody,
} from "@session/service-kit/testing";
import { DrizzleQueryError } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envSchema } from "../src/config.ts";
import { type Harness, startHarness } from "./harness.ts";

const MB = 1024 * 1024;
const LIMIT = 1_000_000;
let h: Harness;
const logText: string[] = [];

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on("data", (d: Buffer) => logText.push(d.toString()));
  const env = envSchema.parse({
    HTTP_HEADERS_TIMEOUT_MS: "300",
    HTTP_REQUEST_TIMEOUT_MS: "3000",
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: "8",
  });
  h = await startHarness({
    limits: { maxFileBytes: LIMIT },
    logger: createLogger({ name: "fs", level: "debug", destination: stream }),
    connections: connectionLimitsFromEnv(env),
  });
});
afterAll(() => h.close());

describe("file server body limits", () => {
  for (const path of ["/file", "/files", "/oxen/v4/lsrpc"])
    for (const framing of ["chunked", "declared"] as const)
      it(`${path}, ${framing}: 413 at the limit, connection closed, nothing staged`, async () => {
        const r = await sendOversizedBody(`${h.url}${path}`, { framing, bytes: 150 * MB });
        expect(r.status).toBe(413);
        expect(JSON.parse(r.body).error.code).toBe("PAYLOAD_TOO_LARGE");
        expect(r.headers.connection).toBe("close");
        expect(r.closedByServer).toBe(true);
        expect(r.bytesWritten).toBeLessThan(64 * MB);
        await expect.poll(() => h.filesIn(h.tmpDir), { timeout: 5000, interval: 20 }).toEqual([]);
      });

  it("/file with a Content-Length smaller than the body stores only what was declared, then closes", async () => {
    const r = await sendOversizedBody(`${h.url}/file`, {
      framing: "lying",
      declaredBytes: 100,
      bytes: 150 * MB,
    });
    expect([200, 400]).toContain(r.status);
    expect(r.closedByServer).toBe(true);
    expect(r.bytesWritten).toBeLessThan(64 * MB);
  });

  it("six concurrent 150 MB uploads do not grow memory with the body size", async () => {
    const urls = ["/file", "/files", "/oxen/v4/lsrpc"].map((p) => `${h.url}${p}`);
    const { responses, rssGrowth } = await concurrentOversizedBodies(urls);
    for (const r of responses) expect(r.status).toBe(413);
    expect(rssGrowth).toBeLessThan(64 * MB);
  }, 60_000);
});

describeConnectionLimits("file server", {
  url: () => h.url,
  requestLine: "POST /file",
  perAddress: 8,
  openConnectionsFrom: (a) => h.server.openConnectionsFrom(a),
});

describe("file server logs", () => {
  it("a failed upload's log line names neither the file nor its id, and a hang-up is no error", async () => {
    const secret = "payroll-of-bob.xlsx";
    const start = logText.length;
    // The database fails the insert, and the error lists every value, the file name among them,
    // as drizzle's PostgreSQL driver wraps failures (DrizzleQueryError).
    const insert = h.deps.repo.insert.bind(h.deps.repo);
    h.deps.repo.insert = async (record) => {
      await insert(record);
      try {
        await insert(record); // the same id again: a constraint error
      } catch (err) {
        throw new DrizzleQueryError(
          "insert into files values ($1, $2, $3, $4, $5)",
          Object.values(record),
          err as Error,
        );
      }
    };
    try {
      const res = await fetch(`${h.url}/file`, {
        method: "POST",
        body: new Uint8Array(10),
        headers: { "content-disposition": `attachment; filename="${secret}"` },
      });
      expect(res.status).toBe(500);
    } finally {
      h.deps.repo.insert = insert;
    }
    // A client that goes away in the middle of an upload.
    const s = await rawConnect(h.url);
    s.on("error", () => {});
    // Its 100 Continue says the server has the request (and hands it to the app).
    const continued = new Promise<void>((resolve) => {
      let got = "";
      s.on("data", (d: Buffer) => {
        got += d.toString();
        if (got.startsWith("HTTP/1.1 100 Continue")) resolve();
      });
    });
    s.write(
      `POST /file HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\nContent-Disposition: attachment; filename="${secret}"\r\n\r\nabc`,
    );
    await continued;
    s.destroy();
    await expect
      .poll(() => logText.slice(start).join("").includes("client closed the connection mid-request"), {
        timeout: 5000,
        interval: 20,
      })
      .toBe(true);
    const lines = logText
      .slice(start)
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const text = logText.slice(start).join("");
    expect(text).not.toContain(secret);
    const failed = lines.find((l) => l.msg === "request failed");
    expect(failed?.err).toMatchObject({
      type: "DrizzleQueryError",
      cause: { type: "SqliteError", code: expect.stringMatching(/^SQLITE_CONSTRAINT/) },
    });
    const gone = lines.filter((l) => l.msg === "client closed the connection mid-request");
    expect(gone).toHaveLength(1);
    expect(gone[0]).toMatchObject({ level: 30, code: "CLIENT_CLOSED", route: "/file" });
    expect(lines.filter((l) => (l.level as number) >= 50)).toHaveLength(1); // only the database failure
  });
});

describe("file server fuzz", () => {
  it("5 000 malformed requests: no 5xx, memory bounded", async () => {
    const seed = fuzzSeed();
    console.log(`file-server fuzz seed ${seed} (SEED=${seed} replays it)`);
    const fuzzed = await startHarness({ limits: { maxFileBytes: LIMIT } });
    const targets = [
      { method: "POST", path: "/file" },
      { method: "POST", path: "/files" },
      { method: "GET", path: "/file/AAAA" },
      { method: "POST", path: "/file/AAAA/extend" },
      { method: "POST", path: "/oxen/v4/lsrpc" },
      { method: "GET", path: "/session_version" },
    ] as const;
    await fuzzHttp(fuzzed.url, targets, { seed: seed + 1, requests: 500, oversizedBytes: 2 * MB });
    const report = await fuzzHttp(fuzzed.url, targets, { seed, oversizedBytes: 2 * MB });
    await fuzzed.close();
    console.log(fuzzSummary(report));
    expect(fuzzViolations(report)).toEqual([]);
  }, 90_000);
});
