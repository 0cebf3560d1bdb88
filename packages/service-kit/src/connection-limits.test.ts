import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { connectionServerOptions } from "./connection-limits.ts";
import { closedWithin, rawConnect } from "./raw-http.ts";
import { startServer } from "./serve.ts";

describe("connection limits", () => {
  it("a client that dribbles its headers is cut off after the header timeout", async () => {
    const server = await startServer(
      new Hono().get("/", (c) => c.text("ok")),
      { port: 0, connections: { headersTimeoutMs: 200, requestTimeoutMs: 400 } },
    );
    const slow = await rawConnect(server.url);
    slow.write("GET / HTTP/1.1\r\nHost: x\r\n");
    const dribble = setInterval(() => slow.write("X-Slow: 1\r\n"), 50);
    const idle = await rawConnect(server.url); // sends nothing at all
    const [slowEnd, idleEnd] = await Promise.all([closedWithin(slow, 5_000), closedWithin(idle, 5_000)]);
    clearInterval(dribble);
    expect(slowEnd).toMatch(/^HTTP\/1\.1 408/);
    expect(idleEnd).not.toBe("open");
    // A prompt client is served as before.
    expect(await (await fetch(server.url)).text()).toBe("ok");
    await server.close();
  });

  it("refuses the N+1th connection from one address and accepts again once one closes", async () => {
    const server = await startServer(
      new Hono().get("/", (c) => c.text("ok")),
      { port: 0, connections: { maxConnectionsPerAddress: 3 } },
    );
    const held = [await rawConnect(server.url), await rawConnect(server.url), await rawConnect(server.url)];
    const extra = await rawConnect(server.url);
    expect(await closedWithin(extra, 2_000)).toBe("");
    // The three held ones still work.
    for (const s of held) {
      const reply = new Promise<string>((r) => s.once("data", (d: Buffer) => r(d.toString("latin1"))));
      s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(await reply).toMatch(/^HTTP\/1\.1 200/);
    }
    expect(server.openConnectionsFrom("127.0.0.1")).toBe(3);
    held[0]!.destroy();
    // The server has seen it close.
    await expect.poll(() => server.openConnectionsFrom("127.0.0.1"), { timeout: 5000, interval: 10 }).toBe(2);
    const again = await rawConnect(server.url);
    const reply = new Promise<string>((r) => again.once("data", (d: Buffer) => r(d.toString("latin1"))));
    again.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(await reply).toMatch(/^HTTP\/1\.1 200/);
    for (const s of held) s.destroy();
    await server.close();
  });

  it("refuses a header timeout longer than the request timeout", () => {
    expect(() => connectionServerOptions({ headersTimeoutMs: 2_000, requestTimeoutMs: 1_000 })).toThrow(
      RangeError,
    );
  });
});
