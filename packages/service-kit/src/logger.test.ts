import { PassThrough } from "node:stream";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createLogger, requestLogger } from "./logger.ts";

function capture(redact?: string[]) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on("data", (d: Buffer) => {
    for (const l of d.toString().split("\n")) if (l) lines.push(JSON.parse(l));
  });
  return { logger: createLogger({ name: "t", destination: stream, ...(redact ? { redact } : {}) }), lines };
}

describe("createLogger", () => {
  it("writes JSON lines with identifying fields censored, at top level and one level down", async () => {
    const { logger, lines } = capture(["secretThing"]);
    logger.info(
      {
        ip: "203.0.113.9",
        fileId: "abc",
        req: { remoteAddress: "203.0.113.9", headers: { "x-forwarded-for": "203.0.113.9", accept: "*/*" } },
        peer: { sessionId: "05ab", pubkey: "cd" },
        secretThing: "x",
        size: 12,
      },
      "hello",
    );
    await new Promise((r) => setImmediate(r));
    const line = lines[0]!;
    expect(line.name).toBe("t");
    expect(line.msg).toBe("hello");
    expect(line.size).toBe(12);
    expect(line.ip).toBe("[redacted]");
    expect(line.fileId).toBe("[redacted]");
    expect(line.secretThing).toBe("[redacted]");
    expect(line.peer).toEqual({ sessionId: "[redacted]", pubkey: "[redacted]" });
    expect(line.req).toEqual({
      remoteAddress: "[redacted]",
      headers: { "x-forwarded-for": "[redacted]", accept: "*/*" },
    });
    expect(JSON.stringify(lines)).not.toContain("203.0.113.9");
  });
});

describe("requestLogger", () => {
  it("logs the route pattern and status, not the concrete path", async () => {
    const stream = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    stream.on("data", (d: Buffer) => {
      for (const l of d.toString().split("\n")) if (l) lines.push(JSON.parse(l));
    });
    const logger = createLogger({ name: "t", level: "debug", destination: stream });
    const app = new Hono();
    app.use(requestLogger(logger));
    app.get("/file/:id", (c) => c.text("x", 404));
    await app.request("/file/secret-file-id");
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ method: "GET", route: "/file/:id", status: 404, msg: "request" });
    expect(JSON.stringify(lines)).not.toContain("secret-file-id");
  });
});
