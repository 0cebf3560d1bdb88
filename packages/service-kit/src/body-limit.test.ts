import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitBody } from "./body-limit.ts";
import { onErrorHandler } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { rssBytes, sendOversizedBody } from "./raw-http.ts";
import { type RunningServer, startServer } from "./serve.ts";

const LIMIT = 100_000;
const BIG = 150 * 1024 * 1024;
let server: RunningServer;
let handled = 0;

beforeAll(async () => {
  const app = new Hono();
  app.onError(onErrorHandler(createLogger({ name: "t", level: "silent" })));
  app.post("/buffer", limitBody(LIMIT), async (c) => {
    handled++;
    return c.json({ bytes: (await c.req.arrayBuffer()).byteLength });
  });
  // A handler that turns every read failure into its own 400, as JSON routes do.
  app.post("/swallow", limitBody(LIMIT, { mode: "stream" }), async (c) => {
    handled++;
    try {
      return c.json({ bytes: (await c.req.arrayBuffer()).byteLength });
    } catch {
      return c.json({ error: "bad" }, 400);
    }
  });
  app.post(
    "/custom",
    limitBody(LIMIT, { onTooLarge: (c) => c.json({ error: 2, message: "too large" }) }),
    (c) => c.text("ok"),
  );
  // A route that answers without reading the body, behind an app-wide stream-mode cap.
  const ignoring = new Hono();
  ignoring.use(limitBody(LIMIT, { mode: "stream" }));
  ignoring.post("/ignore", (c) => c.text("not reading that", 403));
  app.route("/app", ignoring);
  server = await startServer(app, { port: 0 });
});
afterAll(() => server.close());

describe("limitBody", () => {
  for (const path of ["/buffer", "/swallow"]) {
    it(`${path}: a declared length over the limit is refused before any of the body is read`, async () => {
      const before = handled;
      const r = await sendOversizedBody(`${server.url}${path}`, { framing: "declared", bytes: BIG });
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(r.headers.connection).toBe("close");
      expect(r.closedByServer).toBe(true);
      expect(r.bytesWritten).toBeLessThan(64 * 1024 * 1024);
      expect(handled).toBe(before);
    });

    it(`${path}: a chunked body is cut off once it passes the limit, and the connection closed`, async () => {
      const r = await sendOversizedBody(`${server.url}${path}`, { framing: "chunked", bytes: BIG });
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(r.closedByServer).toBe(true);
      // Far from the 150 MB offered: the server stopped reading at the limit.
      expect(r.bytesWritten).toBeLessThan(64 * 1024 * 1024);
    });

    it(`${path}: a Content-Length smaller than the body is held to that length`, async () => {
      const r = await sendOversizedBody(`${server.url}${path}`, {
        framing: "lying",
        declaredBytes: 1000,
        bytes: BIG,
      });
      // The handler sees the 1000 declared bytes; what follows is no request node:http accepts,
      // so it answers 400 and closes (its 400 can come before the handler's 200).
      expect([200, 400]).toContain(r.status);
      if (r.status === 200) expect(JSON.parse(r.body)).toEqual({ bytes: 1000 });
      expect(r.closedByServer).toBe(true);
      expect(r.bytesWritten).toBeLessThan(64 * 1024 * 1024);
    });
  }

  it("a body within the limit reaches the handler whole (chunked and declared)", async () => {
    for (const path of ["/buffer", "/swallow"]) {
      const res = await fetch(`${server.url}${path}`, { method: "POST", body: new Uint8Array(LIMIT) });
      expect(await res.json()).toEqual({ bytes: LIMIT });
      const chunked = await fetch(`${server.url}${path}`, {
        method: "POST",
        body: new Blob([new Uint8Array(LIMIT)]).stream(),
        duplex: "half",
      } as RequestInit);
      expect(await chunked.json()).toEqual({ bytes: LIMIT });
    }
  });

  it("a chunked body the handler does not read is not read on after the answer either", async () => {
    const r = await sendOversizedBody(`${server.url}/app/ignore`, { framing: "chunked", bytes: BIG });
    expect(r.status).toBe(403);
    expect(r.headers.connection).toBe("close");
    expect(r.closedByServer).toBe(true);
    expect(r.bytesWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it("onTooLarge shapes the answer (the connection still closes)", async () => {
    const r = await sendOversizedBody(`${server.url}/custom`, { framing: "chunked", bytes: 10 * LIMIT });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ error: 2, message: "too large" });
    expect(r.closedByServer).toBe(true);
  });

  it("six concurrent 150 MB bodies leave memory where it was", async () => {
    const before = rssBytes();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        sendOversizedBody(`${server.url}${i % 2 ? "/buffer" : "/swallow"}`, {
          framing: "chunked",
          bytes: BIG,
        }),
      ),
    );
    for (const r of results) expect(r.status).toBe(413);
    // Buffering them would take 900 MB; reading up to the limit takes well under 64 MB.
    expect(rssBytes() - before).toBeLessThan(64 * 1024 * 1024);
  });
});
