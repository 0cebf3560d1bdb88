import { PassThrough } from "node:stream";
import { ProtocolError } from "@session/protocol";
import { Hono } from "hono";
import postgres from "postgres";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { errorToResponseParts, onErrorHandler } from "./errors.ts";
import { FaultMonitor, faultError, faultOf, monitoredStore } from "./faults.ts";
import { createLogger } from "./logger.ts";
import { pgSmallTablespace, requirePgSmallTablespace } from "./testing/pg-small-tablespace.ts";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function monitor() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on("data", (d: Buffer) => {
    for (const l of d.toString().split("\n")) if (l) lines.push(JSON.parse(l));
  });
  const registry = new Registry();
  const logger = createLogger({ name: "t", level: "debug", destination: stream });
  return { faults: new FaultMonitor({ logger, registry, prefix: "t_" }), lines, registry, logger };
}

const coded = (code: string, cause?: unknown) =>
  Object.assign(new Error("x", cause ? { cause } : {}), { code });
const flushLogs = () => new Promise((r) => setImmediate(r));

describe("fault classification", () => {
  it("tells a full disk and a lost connection from other errors, through causes", () => {
    expect(faultOf(coded("ENOSPC"))).toBe("disk_full");
    expect(faultOf(coded("SQLITE_FULL"))).toBe("disk_full");
    // drizzle wraps the driver's error: PostgreSQL's disk_full SQLSTATE is its cause.
    expect(faultOf(new Error("Failed query", { cause: coded("53100") }))).toBe("disk_full");
    expect(faultOf(coded("57P01"))).toBe("database_unavailable");
    expect(faultOf(coded("CONNECTION_ENDED"))).toBe("database_unavailable");
    expect(faultOf(new Error("Failed query", { cause: coded("ECONNRESET") }))).toBe("database_unavailable");
    expect(faultOf(coded("SQLITE_CONSTRAINT"))).toBeUndefined();
    expect(faultOf(coded("23505"))).toBeUndefined();
    expect(faultOf(new ProtocolError("BAD_REQUEST"))).toBeUndefined();
  });

  it("maps faults to stable codes and statuses, keeping the cause", () => {
    const full = coded("SQLITE_FULL");
    expect(faultError(full)).toMatchObject({ code: "STORAGE_FULL", status: 507, cause: full });
    expect(errorToResponseParts(new Error("q", { cause: full }))).toEqual({
      status: 507,
      body: { error: { code: "STORAGE_FULL", message: expect.stringContaining("full") } },
    });
    expect(errorToResponseParts(coded("57P01")).status).toBe(503);
    expect(errorToResponseParts(coded("57P01")).body.error.code).toBe("DATABASE_UNAVAILABLE");
    expect(errorToResponseParts(new Error("other")).status).toBe(500);
  });
});

describe("FaultMonitor", () => {
  it("logs a condition once however often it is seen, shows it in health and metrics, clears on success", async () => {
    const { faults, lines, registry } = monitor();
    for (let i = 0; i < 5; i++) faults.observe(coded("ENOSPC"));
    await flushLogs();
    expect(lines.filter((l) => l.condition === "disk_full")).toHaveLength(1);
    expect(faults.health()).toEqual({ status: "degraded", conditions: ["disk_full"] });
    expect(await registry.metrics()).toContain('t_degraded{condition="disk_full"} 1');

    faults.readSucceeded(); // a read says nothing about space
    expect(faults.has("disk_full")).toBe(true);
    faults.writeSucceeded();
    await flushLogs();
    expect(faults.health()).toEqual({ status: "ok", conditions: [] });
    expect(await registry.metrics()).toContain('t_degraded{condition="disk_full"} 0');
    expect(lines.filter((l) => l.condition === "disk_full")).toHaveLength(2);
  });

  it("answers 507 from onErrorHandler and logs the condition instead of every request", async () => {
    const { faults, lines, logger } = monitor();
    const app = new Hono();
    app.onError(onErrorHandler(logger, { faults }));
    app.post("/w", () => {
      throw coded("ENOSPC");
    });
    for (let i = 0; i < 3; i++) {
      const res = await app.request("/w", { method: "POST" });
      expect(res.status).toBe(507);
      expect(await res.json()).toMatchObject({ error: { code: "STORAGE_FULL" } });
    }
    await flushLogs();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ condition: "disk_full", err: { code: "ENOSPC" } });
  });
});

describe("monitoredStore", () => {
  function flakyStore() {
    const calls = { read: 0, write: 0 };
    let failNext: unknown[] = [];
    const store = {
      async read() {
        calls.read++;
        const err = failNext.shift();
        if (err) throw err;
        return "value";
      },
      async write() {
        calls.write++;
        const err = failNext.shift();
        if (err) throw err;
      },
    };
    const fail = (...errs: unknown[]) => {
      failNext = errs;
    };
    return { store, calls, fail };
  }

  it("retries a read once on a lost connection, and clears the condition", async () => {
    const { faults } = monitor();
    const f = flakyStore();
    const s = monitoredStore(f.store, faults, { read: "read", write: "write" });
    f.fail(coded("57P01"));
    await expect(s.read()).resolves.toBe("value");
    expect(f.calls.read).toBe(2);
    expect(faults.health().status).toBe("ok");
  });

  it("does not retry a write; fails it with DATABASE_UNAVAILABLE and keeps the condition until a success", async () => {
    const { faults } = monitor();
    const f = flakyStore();
    const s = monitoredStore(f.store, faults, { read: "read", write: "write" });
    f.fail(coded("57P01"));
    await expect(s.write()).rejects.toMatchObject({ code: "DATABASE_UNAVAILABLE", status: 503 });
    expect(f.calls.write).toBe(1);
    expect(faults.conditions()).toEqual(["database_unavailable"]);
    await s.write();
    expect(faults.conditions()).toEqual([]);
  });

  it("clears a full disk on a write that landed, not on a PostgreSQL delete (which needs no space)", async () => {
    const { faults } = monitor();
    const f = flakyStore();
    const s = monitoredStore(
      { ...f.store, del: f.store.write },
      faults,
      { write: "write", del: "delete" },
      { deletesNeedSpace: false },
    );
    f.fail(coded("53100"));
    await expect(s.write()).rejects.toMatchObject({ code: "STORAGE_FULL", status: 507 });
    await s.del();
    expect(faults.conditions()).toEqual(["disk_full"]);
    f.fail(coded("57P01"));
    await expect(s.del()).rejects.toMatchObject({ code: "DATABASE_UNAVAILABLE" });
    expect(f.calls.write).toBe(3); // a delete is not retried
    await s.del();
    expect(faults.conditions()).toEqual(["disk_full"]);
    await s.write();
    expect(faults.conditions()).toEqual([]);

    // SQLite: a deletion goes through the journal, so one that landed shows there is space.
    const lite = monitoredStore({ ...f.store, del: f.store.write }, faults, {
      write: "write",
      del: "delete",
    });
    f.fail(coded("SQLITE_FULL"));
    await expect(lite.write()).rejects.toMatchObject({ code: "STORAGE_FULL" });
    await lite.del();
    expect(faults.conditions()).toEqual([]);
  });

  it("fails a read lost twice, and passes other errors through unchanged", async () => {
    const { faults } = monitor();
    const f = flakyStore();
    const s = monitoredStore(f.store, faults, { read: "read", write: "write" });
    f.fail(coded("57P01"), coded("57P01"));
    await expect(s.read()).rejects.toMatchObject({ code: "DATABASE_UNAVAILABLE" });
    const other = coded("23505");
    f.fail(other);
    await expect(s.write()).rejects.toBe(other);
  });
});

describe.skipIf(!(await requirePgSmallTablespace(PG_URL)))(
  "PostgreSQL on a full disk (tablespace on a tmpfs)",
  () => {
    it("fails the insert that must grow a table with SQLSTATE 53100, classified as disk_full, and takes it once space returns", async () => {
      const ts = await pgSmallTablespace(PG_URL, 1024 * 1024);
      const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
      const schema = `sk_disk_full_${process.pid}_${Date.now()}`;
      try {
        await sql.unsafe(`CREATE SCHEMA "${schema}"`);
        await sql.unsafe(`CREATE TABLE "${schema}".t (id serial PRIMARY KEY, v text NOT NULL)`);
        await sql.unsafe(`INSERT INTO "${schema}".t (v) VALUES ('kept')`);
        await ts.moveSchema(schema);
        await ts.fill();
        // Rows that fit in the pages already there go in; the first that needs a new page is refused.
        let refused: unknown;
        let taken = 0;
        for (let i = 0; i < 1000 && refused === undefined; i++) {
          try {
            await sql.unsafe(`INSERT INTO "${schema}".t (v) VALUES ('${"x".repeat(200)}')`);
            taken++;
          } catch (err) {
            refused = err;
          }
        }
        expect(refused).toMatchObject({ code: "53100" });
        expect(String((refused as Error).message)).toMatch(/No space left on device|could not extend/);
        expect(faultOf(refused)).toBe("disk_full");
        expect(errorToResponseParts(refused).status).toBe(507);
        // Reads are served; what was taken is there.
        const [n] = await sql.unsafe(`SELECT count(*)::int AS n FROM "${schema}".t`);
        expect(n?.n).toBe(1 + taken);

        await ts.free();
        await sql.unsafe(`INSERT INTO "${schema}".t (v) VALUES ('after')`);
        const [m] = await sql.unsafe(`SELECT count(*)::int AS n FROM "${schema}".t`);
        expect(m?.n).toBe(2 + taken);
      } finally {
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await sql.end({ timeout: 5 });
        await ts.drop();
      }
    }, 60_000);
  },
);
