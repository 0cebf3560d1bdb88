import { createServer } from "node:net";

/**
 * A port for a child service, chosen before the nodes start (they must know it): random in
 * 20000–31999, below Linux's ephemeral range (32768+) so no outgoing connection holds it by chance,
 * and checked free by binding it once. Ports handed out by this process are not reused.
 */
const handedOut = new Set<number>();
export async function freeServicePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once("error", () => res(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no free port for a devnet service in 20000–31999");
}
