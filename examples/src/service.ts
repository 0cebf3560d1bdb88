import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ClientError, createIdentity, loadIdentity, SessionClient, saveIdentity } from "@session/client";

/** Environment of an example service (the same variables as the `session` CLI, plus PORT). */
export interface ServiceEnv {
  network: string;
  dataDir: string;
  port: number;
}

export function serviceEnv(env: NodeJS.ProcessEnv = process.env): ServiceEnv {
  const network = env.SESSION_NETWORK;
  const dataDir = env.SESSION_DATA_DIR;
  if (!network) throw new Error("SESSION_NETWORK must name a seed node (the devnet prints an export line)");
  if (!dataDir) throw new Error("SESSION_DATA_DIR must name the service's data directory");
  const port = Number(env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, not ${env.PORT}`);
  return { network, dataDir, port };
}

/** The service's account (created on first start, kept in the data dir) connected to the network. */
export async function serviceClient(e: ServiceEnv): Promise<SessionClient> {
  let identity: ReturnType<typeof loadIdentity>;
  try {
    identity = loadIdentity(e.dataDir);
  } catch (err) {
    if (!(err instanceof ClientError && err.code === "NO_IDENTITY")) throw err;
    identity = createIdentity();
    saveIdentity(e.dataDir, identity);
  }
  const client = new SessionClient({ identity, seeds: [e.network], dataDir: e.dataDir });
  await client.connect();
  return client;
}

export type Handler = (body: unknown) => Promise<{ status: number; body: unknown }>;

/** A JSON API: `routes["POST /codes"]` etc.; errors answer `{ error: { code, message } }`. */
export function jsonServer(routes: Record<string, Handler>): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const route = routes[`${req.method} ${req.url?.split("?")[0]}`];
    if (!route)
      return send(404, { error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url}` } });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
      } catch {
        return send(400, { error: { code: "BAD_JSON", message: "the body is not JSON" } });
      }
      route(body).then(
        (r) => send(r.status, r.body),
        (err: unknown) => {
          const bad = err instanceof ClientError && !err.retryable;
          send(bad ? 400 : 502, {
            error: {
              code: err instanceof ClientError ? err.code : "INTERNAL",
              message: (err as Error).message,
            },
          });
        },
      );
    });
  });
}

/** Listens on `port` (0: any free one); resolves with the bound port. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

/** Stops on SIGINT/SIGTERM: the HTTP server, then the client (its store is closed with it). */
export function stopOnSignal(server: Server, client: SessionClient): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      server.close();
      void client.close().then(() => process.exit(0));
    });
}
