import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import selfsigned from "selfsigned";

/** A self-signed HTTPS server on 127.0.0.1 (port 0) answering every request with `body`. */
export async function selfSignedServer(
  body: string,
): Promise<{ url: string; cert: string; close(): Promise<void> }> {
  const pems = selfsigned.generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    days: 1,
    algorithm: "sha256",
  });
  const server = createServer({ key: pems.private, cert: pems.cert }, (_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    cert: pems.cert,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
