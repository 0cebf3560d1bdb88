import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@session/service-kit";
import { afterEach, describe, expect, it } from "vitest";
import { ownerClient } from "./owner-client.ts";
import { type FanOutWire, INTERNAL_HEADER, OWNER_PATHS, PEER_HEADERS } from "./protocol.ts";

const silent = createLogger({ name: "test", level: "silent" });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const PEERS = ["aa".repeat(32), "bb".repeat(32)];
const request = (i: number) => ({ method: "store", params: { n: i } });

/** An owner stand-in on a Unix socket that answers each store with a peer entry naming it, and keeps the requests. */
async function fakeOwner() {
  const dir = mkdtempSync(join(tmpdir(), "owner-client-"));
  const socketPath = join(dir, "node.sock");
  const requests: { path: string | undefined; secret: unknown; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as FanOutWire[];
      requests.push({ path: req.url, secret: req.headers[INTERNAL_HEADER], body });
      const results = body.map((w) => ({ [PEERS[0]!]: { hash: w.hash, request: w.request } }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(results));
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { socketPath, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("ownerClient", () => {
  it("sends the stores of one turn on to the peers in one request, and gives each its own entries", async () => {
    const owner = await fakeOwner();
    cleanups.push(owner.close);
    const client = ownerClient(owner.socketPath, "s3cret", silent);
    cleanups.push(client.close);
    const answers = await Promise.all([1, 2, 3].map((i) => client.fanOut(request(i), `hash${i}`, PEERS)));
    expect(answers).toEqual(
      [1, 2, 3].map((i) => ({ [PEERS[0]!]: { hash: `hash${i}`, request: request(i) } })),
    );
    expect(owner.requests).toHaveLength(1);
    expect(owner.requests[0]).toMatchObject({ path: OWNER_PATHS.fanOut, secret: "s3cret" });
    // A later turn is its own request.
    await client.fanOut(request(4), "hash4", PEERS);
    expect(owner.requests).toHaveLength(2);
  });

  it("marks every peer failed for each store of a batch the owner did not take", async () => {
    const owner = await fakeOwner();
    await owner.close(); // nobody listens on the socket any more
    const client = ownerClient(owner.socketPath, "s3cret", silent);
    cleanups.push(client.close);
    const answers = await Promise.all([1, 2].map((i) => client.fanOut(request(i), `hash${i}`, PEERS)));
    for (const a of answers)
      expect(a).toEqual(Object.fromEntries(PEERS.map((p) => [p, { failed: true, query_failure: true }])));
  });

  it("answers 500 'request failed' to a storage RPC the owner did not take", async () => {
    const owner = await fakeOwner();
    await owner.close();
    const client = ownerClient(owner.socketPath, "s3cret", silent);
    cleanups.push(client.close);
    expect(await client.rpc({ method: "delete_all", params: {} })).toEqual({
      status: 500,
      body: "request failed",
      code: "INTERNAL",
    });
  });

  it("passes a peer request from a link to the owner with its signature, and answers 503 when the owner does not", async () => {
    const dir = mkdtempSync(join(tmpdir(), "owner-client-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const socketPath = join(dir, "node.sock");
    const seen: Record<string, unknown>[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push({
          path: req.url,
          secret: req.headers[INTERNAL_HEADER],
          ...req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res
          .writeHead(200, { "content-type": "application/json", [PEER_HEADERS.status]: "401" })
          .end('{"error":"no"}');
      });
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    const client = ownerClient(socketPath, "s3cret", silent);
    cleanups.push(client.close);
    const auth = {
      pubkey: new Uint8Array(32).fill(1),
      timestamp: 1234,
      signature: new Uint8Array(64).fill(2),
    };
    const reply = await client.peer(auth, new TextEncoder().encode('{"action":"sync"}'));
    expect(reply.status).toBe(401);
    expect(Buffer.from(reply.body).toString()).toBe('{"error":"no"}');
    expect(seen[0]).toMatchObject({
      path: OWNER_PATHS.peer,
      secret: "s3cret",
      [PEER_HEADERS.pubkey]: "01".repeat(32),
      [PEER_HEADERS.timestamp]: "1234",
      [PEER_HEADERS.signature]: "02".repeat(64),
      body: '{"action":"sync"}',
    });
    await new Promise<void>((r) => server.close(() => r()));
    const down = await client.peer(auth, new Uint8Array(1));
    expect(down.status).toBe(503);
  });
});
