import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
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
});
