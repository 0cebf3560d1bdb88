import { once } from "node:events";
import { connect } from "node:net";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { DEFAULT_GRACE_MS, startServer } from "./serve.ts";
import { deferred } from "./testing/deferred.ts";

describe("startServer", () => {
  it("listens on a free loopback port and lets an in-flight request finish on close()", async () => {
    const gate = deferred();
    const serving = deferred();
    let closed = false;
    const app = new Hono();
    app.get("/slow", async (c) => {
      serving.resolve();
      await gate.promise;
      return c.text("done");
    });
    app.get("/fast", (c) => c.text("fast"));
    const server = await startServer(app, {
      port: 0,
      onClose: () => {
        closed = true;
      },
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${server.url}/fast`)).text()).toBe("fast");

    const slow = fetch(`${server.url}/slow`).then((r) => r.text());
    await serving.promise;
    const closing = server.close();
    // New connections are refused while the old request is still being served, and onClose
    // waits for it.
    await expect(fetch(`${server.url}/fast`)).rejects.toThrow();
    expect(closed).toBe(false);
    gate.resolve();
    expect(await slow).toBe("done");
    await closing;
    expect(closed).toBe(true);
  });

  it("close() does not wait for connections that never began a request", async () => {
    const server = await startServer(
      new Hono().get("/", (c) => c.text("ok")),
      { port: 0 },
    );
    // A client that connects, sends nothing and never hangs up (undici keeps such a spare
    // connection for its keep-alive timeout after an aborted request).
    const socket = connect(server.port, "127.0.0.1");
    await once(socket, "connect");
    const closed = once(socket, "close");
    const t0 = performance.now();
    await server.close();
    await closed;
    // Not by the 10 s grace period.
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it("by default cuts a request that never ends within a few seconds (well inside docker stop's 10 s)", async () => {
    const app = new Hono();
    const arrived = deferred();
    app.get("/hang", () => {
      arrived.resolve();
      return new Promise<Response>(() => {});
    });
    const server = await startServer(app, { port: 0 });
    const hanging = fetch(`${server.url}/hang`).catch((e: unknown) => e);
    await arrived.promise;
    const t = performance.now();
    await server.close();
    const took = performance.now() - t;
    expect(took).toBeGreaterThanOrEqual(DEFAULT_GRACE_MS - 50);
    expect(took).toBeLessThan(5_000);
    expect(await hanging).toBeInstanceOf(Error);
  }, 15_000);

  it("cuts connections still open after the grace period", async () => {
    const serving = deferred();
    const app = new Hono();
    app.get("/hang", () => {
      serving.resolve();
      return new Promise<Response>(() => {});
    });
    const server = await startServer(app, { port: 0, graceMs: 100 });
    const hanging = fetch(`${server.url}/hang`).catch((e: unknown) => e);
    await serving.promise;
    const t = Date.now();
    await server.close();
    expect(Date.now() - t).toBeLessThan(2000);
    expect(await hanging).toBeInstanceOf(Error);
  });
});
