import { PassThrough } from "node:stream";
import { connectionLimitsFromEnv, createLogger } from "@session/service-kit";
import { describeHttpLimits, rawConnect, shortConnectionLimitsEnv } from "@session/service-kit/testing";
import { DrizzleQueryError } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envSchema } from "../src/config.ts";
import { type Harness, startHarness } from "./harness.ts";

const MB = 1024 * 1024;
const LIMIT = 1_000_000;
const PER_ADDRESS = 8;
let h: Harness;
const logText: string[] = [];

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on("data", (d: Buffer) => logText.push(d.toString()));
  const env = envSchema.parse(shortConnectionLimitsEnv(PER_ADDRESS, 3000));
  h = await startHarness({
    limits: { maxFileBytes: LIMIT },
    logger: createLogger({ name: "fs", level: "debug", destination: stream }),
    connections: connectionLimitsFromEnv(env),
  });
});
afterAll(() => h.close());

describeHttpLimits("file server", {
  url: () => h.url,
  bodies: [
    {
      paths: ["/file", "/files", "/oxen/v4/lsrpc"],
      framings: ["chunked", "declared"],
      expectAnswer: async (r) => {
        expect(r.status).toBe(413);
        expect(JSON.parse(r.body).error.code).toBe("PAYLOAD_TOO_LARGE");
        expect(r.headers.connection).toBe("close");
        // Nothing staged.
        await expect.poll(() => h.filesIn(h.tmpDir), { timeout: 5000, interval: 20 }).toEqual([]);
      },
    },
    {
      // A Content-Length smaller than the body: only what was declared is stored.
      paths: ["/file"],
      framings: ["lying"],
      declaredBytes: 100,
      expectAnswer: (r) => expect([200, 400]).toContain(r.status),
    },
  ],
  memory: {
    paths: ["/file", "/files", "/oxen/v4/lsrpc"],
    maxGrowthBytes: 64 * MB,
    expectEach: (r) => expect(r.status).toBe(413),
  },
  connections: {
    url: () => h.url,
    requestLine: "POST /file",
    perAddress: PER_ADDRESS,
    openConnectionsFrom: (a) => h.server.openConnectionsFrom(a),
  },
  fuzz: {
    start: () => startHarness({ limits: { maxFileBytes: LIMIT } }),
    routes: [
      "POST /file",
      "POST /files",
      "GET /file/AAAA",
      "POST /file/AAAA/extend",
      "POST /oxen/v4/lsrpc",
    ].concat("GET /session_version"),
    warmupRequests: 500,
    timeoutMs: 90_000,
  },
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
