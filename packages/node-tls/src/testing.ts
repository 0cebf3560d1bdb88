import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import selfsigned from "selfsigned";

/**
 * Tests: a self-signed HTTPS server on 127.0.0.1 (port 0) answering every request with `body`;
 * `requests` counts the requests that reached it.
 */
export async function selfSignedServer(
  body: string,
): Promise<{ url: string; cert: string; readonly requests: number; close(): Promise<void> }> {
  const pems = selfsigned.generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    days: 1,
    algorithm: "sha256",
  });
  let requests = 0;
  const server = createServer({ key: pems.private, cert: pems.cert }, (_req, res) => {
    requests++;
    res.setHeader("content-type", "application/json");
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    cert: pems.cert,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
