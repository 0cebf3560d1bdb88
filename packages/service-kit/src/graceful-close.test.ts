import { createServer } from "node:http";
import { type AddressInfo, connect, createServer as createNetServer } from "node:net";
import { describe, expect, it } from "vitest";
import { gracefulCloser } from "./graceful-close.ts";

describe("gracefulCloser", () => {
  it("cuts an upgraded connection at the end of the grace period, so close() resolves", async () => {
    const server = createServer();
    const closer = gracefulCloser(server, false);
    // The upgrade's handler keeps the socket (a node link, a tunnel): it answers and holds on.
    server.on("upgrade", (_req, socket) => {
      socket.write("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: test\r\n\r\n");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
    client.on("error", () => {});
    const switched = new Promise<void>((r) => client.once("data", () => r()));
    client.write("GET / HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: test\r\n\r\n");
    await switched;
    const clientClosed = new Promise<void>((r) => client.once("close", () => r()));

    const t = Date.now();
    await closer.close({ graceMs: 200, pollMs: 20 });
    expect(Date.now() - t).toBeGreaterThanOrEqual(150); // not cut before the grace period
    await clientClosed;
  }, 5_000);

  it("waits for a connection handed to a server that never listened (a cluster worker's)", async () => {
    // The connection comes from another listener, as a cluster owner passes it to a worker.
    const server = createServer((_req, res) => {
      setTimeout(() => res.end("late"), 300);
    });
    const closer = gracefulCloser(server, false);
    // As the worker does: node:http tracks connections (idle ones, timeouts) from 'listening' on.
    server.emit("listening");
    const front = createNetServer((socket) => server.emit("connection", socket));
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    const client = connect((front.address() as AddressInfo).port, "127.0.0.1");
    client.on("error", () => {});
    let answer = "";
    client.on("data", (b) => {
      answer += b.toString();
    });
    client.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50)); // the request is in flight

    const t = Date.now();
    await closer.close({ graceMs: 2_000, pollMs: 20 });
    // Not before the request in flight was answered (node's own count does not see this connection).
    expect(Date.now() - t).toBeGreaterThanOrEqual(200);
    expect(answer).toContain("late");
    // The idle keep-alive connection was closed then, not cut at the end of the grace period.
    expect(Date.now() - t).toBeLessThan(1_500);
    front.close();
    client.destroy();
  }, 5_000);
});
