import { connect, createServer, type Socket } from "node:net";

/**
 * A loopback TCP proxy in front of a node, the address the registry gives for it: switched off,
 * it cuts every connection and refuses new ones, as a network outage would.
 */
export async function proxy() {
  let target = 0;
  let on = true;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    if (!on) {
      client.destroy();
      return;
    }
    const upstream = connect(target, "127.0.0.1");
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as { port: number }).port,
    to(port: number) {
      target = port;
    },
    set(up: boolean) {
      on = up;
      if (!up) for (const s of open) s.destroy();
    },
    close() {
      this.set(false); // node links through it would otherwise keep it open
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
