import { ProtocolError } from "@session/protocol";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { limitBody } from "./body-limit.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { notFoundHandler, onErrorHandler } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { rateLimit, TokenBuckets } from "./rate-limit.ts";
import { oldSpaceGrowth } from "./testing/old-space.ts";

const logger = createLogger({ name: "t", level: "silent" });

function app() {
  const a = new Hono();
  a.onError(onErrorHandler(logger));
  a.notFound(notFoundHandler);
  a.get("/protocol", () => {
    throw new ProtocolError("INVALID_PUBKEY", "pubkey must be 66 hex characters");
  });
  a.get("/http", () => {
    throw new HTTPException(405, { message: "no" });
  });
  a.get("/boom", () => {
    throw new Error("database password is hunter2");
  });
  a.post("/small", limitBody(10), async (c) => c.text(await c.req.text()));
  return a;
}

describe("error mapping", () => {
  it("maps ProtocolError to its status and the {error:{code,message}} body", async () => {
    const res = await app().request("/protocol");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: "INVALID_PUBKEY", message: "pubkey must be 66 hex characters" },
    });
  });

  it("maps HTTPException by status and hides unknown errors behind INTERNAL", async () => {
    const a = app();
    const h = await a.request("/http");
    expect(h.status).toBe(405);
    expect(((await h.json()) as { error: { code: string } }).error.code).toBe("METHOD_NOT_ALLOWED");
    const boom = await a.request("/boom");
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
    expect(text).not.toContain("hunter2");
    const missing = await a.request("/nope");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });

  it("limitBody answers 413 with the error body, with or without Content-Length", async () => {
    const a = app();
    const ok = await a.request("/small", { method: "POST", body: "0123456789" });
    expect(await ok.text()).toBe("0123456789");
    const big = await a.request("/small", {
      method: "POST",
      body: "01234567890",
      headers: { "content-length": "11" },
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("0123456"));
        c.enqueue(new TextEncoder().encode("7890"));
        c.close();
      },
    });
    const chunked = await a.request("/small", {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });
});

describe("createMetrics", () => {
  it("counts requests by route pattern, never by concrete path", async () => {
    const m = createMetrics({ prefix: "t_" });
    const a = new Hono();
    a.use(m.middleware);
    a.get("/item/:id", (c) => c.text("x"));
    a.get("/metrics", m.handler);
    await a.request("/item/secret-id-1");
    await a.request("/item/secret-id-2");
    const res = await a.request("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('t_http_requests_total{method="GET",route="/item/:id",status="200"} 2');
    expect(text).toContain("t_http_request_duration_seconds_bucket");
    expect(text).not.toContain("secret-id");
  });
});

describe("loadConfig", () => {
  const schema = z.object({ PORT: z.coerce.number().int().max(65535), NAME: z.string().min(1) });

  it("parses and coerces", () => {
    expect(loadConfig(schema, { env: { PORT: "80", NAME: "x" } })).toEqual({ PORT: 80, NAME: "x" });
  });

  it("lists every bad variable by name", () => {
    let err: unknown;
    try {
      loadConfig(schema, { env: { PORT: "99999" }, name: "demo", onInvalid: "throw" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.message).toMatch(/^invalid demo configuration:/);
    expect(ce.issues).toHaveLength(2);
    expect(ce.issues[0]).toMatch(/^PORT: /);
    expect(ce.issues[1]).toMatch(/^NAME: /);
  });
});

describe("TokenBuckets", () => {
  it("spends, refuses when empty, refills with the injected clock", () => {
    let now = 0;
    const b = new TokenBuckets({ capacity: 2, refillPerSecond: 1, now: () => now });
    expect([b.take("a"), b.take("a"), b.take("a")]).toEqual([true, true, false]);
    expect(b.take("b")).toBe(true);
    now += 1000;
    expect(b.take("a")).toBe(true);
    expect(b.take("a")).toBe(false);
    expect(b.take("a", 5)).toBe(false);
  });

  it("keeps at most maxKeys keys", () => {
    const b = new TokenBuckets({ capacity: 1, refillPerSecond: 0, maxKeys: 2, now: () => 0 });
    expect(b.take("a")).toBe(true);
    b.take("b");
    b.take("c"); // evicts "a", which starts full again
    expect(b.take("a")).toBe(true);
  });

  it("keeps a bucket's state across a generation", () => {
    const b = new TokenBuckets({ capacity: 1, refillPerSecond: 0, maxKeys: 4, now: () => 0 });
    expect(b.take("a")).toBe(true);
    b.take("b"); // "a" and "b" move to the previous generation
    expect(b.take("a")).toBe(false); // still spent
    b.take("c"); // "a" and "c" now; "b", unused for a generation, is dropped
    expect(b.take("b")).toBe(true);
    expect(b.take("a")).toBe(false);
  });

  it("updates a busy key's bucket without garbage in the old generation", () => {
    const b = new TokenBuckets({ capacity: 1e12, refillPerSecond: 1 });
    b.take("10.0.0.1");
    const grown = oldSpaceGrowth(() => {
      for (let i = 0; i < 100_000; i++) b.take("10.0.0.1");
    });
    // A Map delete and insert per take left ~50 bytes each there (~5 MB) on Node 20.
    expect(grown).toBeLessThan(1_000_000);
  });

  it("rateLimit middleware answers 429 RATE_LIMITED", async () => {
    const a = new Hono();
    a.get(
      "/",
      rateLimit(new TokenBuckets({ capacity: 1, refillPerSecond: 0 }), () => "k"),
      (c) => c.text("ok"),
    );
    expect((await a.request("/")).status).toBe(200);
    const res = await a.request("/");
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
  });
});
