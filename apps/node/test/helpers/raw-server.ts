import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";

/** A bare node:http server on a loopback port (for destinations that misbehave on purpose). */
export async function startRawServer(handler: RequestListener) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An onion destination for an HTTP server on loopback `port` at /oxen/v4/lsrpc. */
export function loopbackServer(port: number, x25519: Uint8Array) {
  return {
    kind: "server" as const,
    host: "127.0.0.1",
    port,
    protocol: "http" as const,
    target: "/oxen/v4/lsrpc",
    x25519,
  };
}
