import { connect, createServer, type Server, type Socket } from "node:net";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { postgresPool } from "./postgres.ts";

const PG = new URL(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test");

/**
 * A TCP proxy to PostgreSQL that passes the start-up exchange and cuts the connection at the
 * client's first message after it (what a pg_terminate_backend of a fresh session looks like).
 */
let proxy: Server;
let proxyUrl: string;
const sockets = new Set<Socket>();
beforeAll(async () => {
  proxy = createServer((client) => {
    const server = connect(Number(PG.port || 5432), PG.hostname);
    sockets.add(client).add(server);
    let messages = 0;
    client.on("data", (chunk) => {
      // Chunk 1 is the start-up message (trust auth: nothing else until ReadyForQuery).
      if (messages++ === 0) server.write(chunk);
      else {
        client.destroy();
        server.destroy();
      }
    });
    server.on("data", (chunk) => client.write(chunk));
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  const port = (proxy.address() as { port: number }).port;
  proxyUrl = `postgres://${PG.username || "postgres"}@127.0.0.1:${port}${PG.pathname}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => proxy.close(r));
});

/** Rejections nobody handled while `run` and the turns after it ran. */
async function unhandledDuring(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    await run();
    // Unhandled rejections are reported once the microtask queue drains: two macrotask turns.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  return seen;
}

describe("postgresPool", () => {
  let pools: postgres.Sql[] = [];
  afterEach(async () => {
    await Promise.all(pools.map((p) => p.end({ timeout: 1 })));
    pools = [];
  });

  it("a connection cut at its first query fails that query and leaves no unhandled rejection", async () => {
    const seen = await unhandledDuring(async () => {
      const sql = postgresPool(proxyUrl, { max: 1, applicationName: "service-kit-test" });
      pools.push(sql);
      await expect(sql`SELECT 1 AS one`).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    });
    expect(seen).toEqual([]);
  });

  it("answers queries through a healthy connection, named in pg_stat_activity", async () => {
    const name = `service-kit-test-${process.pid}`;
    const sql = postgresPool(PG.href, { max: 1, applicationName: name });
    pools.push(sql);
    const [row] = await sql`SELECT current_setting('application_name') AS name`;
    expect(row?.name).toBe(name);
  });
});
