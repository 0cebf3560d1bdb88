import type { Server } from "node:net";

/** Listens on 127.0.0.1 (`port` 0: any free one) and resolves with the port; rejects if it cannot. */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("not listening on a TCP port");
  return address.port;
}

/** Closes `server` once its connections are gone (`destroy` ends them first). */
export function closeServer(server: Server, destroy: () => void): Promise<void> {
  destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
