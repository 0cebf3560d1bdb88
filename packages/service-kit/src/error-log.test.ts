import { PassThrough } from "node:stream";
import { ProtocolError } from "@session/protocol";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { onErrorHandler } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { rawConnect } from "./raw-http.ts";
import { startServer } from "./serve.ts";

function capture() {
  const stream = new PassThrough();
  const text: string[] = [];
  stream.on("data", (d: Buffer) => text.push(d.toString()));
  const lines = () =>
    text
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger: createLogger({ name: "t", level: "debug", destination: stream }), text, lines };
}

const SECRET = "holiday-photos-of-alice.jpg";

describe("error logging", () => {
  it("logs an error's class, code, frames and cause, never its message", async () => {
    const { logger, text, lines } = capture();
    const cause = Object.assign(new Error(`constraint failed for ${SECRET}`), { code: "SQLITE_CONSTRAINT" });
    const err = new Error(`Failed query: insert into files values (?)\nparams: ${SECRET}`, { cause });
    logger.error({ err }, "request failed");
    logger.warn({ err: String(new ProtocolError("BAD_REQUEST", SECRET)) }, "string form");
    logger.warn({ err: `Error: connect ECONNREFUSED ${SECRET}` }, "string with a code");
    await new Promise((r) => setImmediate(r));
    expect(text.join("")).not.toContain(SECRET);
    const [first, second, third] = lines();
    expect(first!.err).toMatchObject({ type: "Error", cause: { type: "Error", code: "SQLITE_CONSTRAINT" } });
    expect(String((first!.err as { stack: string }).stack)).toMatch(/^at /);
    expect(second!.err).toEqual({ type: "ProtocolError" });
    expect(third!.err).toEqual({ type: "Error", code: "ECONNREFUSED" });
  });

  it("a client hanging up mid-body is one info line without a stack, not an error", async () => {
    const { logger, text, lines } = capture();
    const app = new Hono();
    app.onError(onErrorHandler(logger));
    let entered!: () => void;
    const reading = new Promise<void>((r) => {
      entered = r;
    });
    app.post("/upload", async (c) => {
      entered();
      return c.json({ n: (await c.req.arrayBuffer()).byteLength });
    });
    const server = await startServer(app, { port: 0 });
    const socket = await rawConnect(server.url);
    socket.on("error", () => {});
    socket.write(
      `POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${SECRET.slice(0, 5)}\r\n`,
    );
    await reading; // the handler is reading the body
    socket.destroy();
    await expect
      .poll(() => lines().some((l) => l.msg === "client closed the connection mid-request"), {
        timeout: 5000,
        interval: 10,
      })
      .toBe(true);
    await server.close();
    const all = lines();
    expect(all.filter((l) => (l.level as number) >= 50)).toEqual([]);
    const line = all.find((l) => l.msg === "client closed the connection mid-request");
    expect(line).toMatchObject({ level: 30, code: "CLIENT_CLOSED", route: "/upload" });
    expect(text.join("")).not.toMatch(/stack|holid/);
  });
});
