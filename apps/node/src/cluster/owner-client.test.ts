import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@session/service-kit";
import { afterEach, describe, expect, it } from "vitest";
import type { PreparedStore } from "../rpc/handler.ts";
import { ownerClient } from "./owner-client.ts";
import { INTERNAL_HEADER, OWNER_PATHS, type PreparedStoreWire } from "./protocol.ts";

const silent = createLogger({ name: "test", level: "silent" });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const prepared = (i: number): PreparedStore => ({
  message: {
    hash: `hash${i}`,
    owner: `05${"ab".repeat(32)}`,
    namespace: 0,
    timestamp: 1,
    expiry: 2,
    data: new Uint8Array([i, 255, 0]),
  },
  signature: `sig${i}`,
  onlyMessageInNamespace: false,
  request: { method: "store", params: { n: i } },
  now: 1,
});

/** An owner stand-in on a Unix socket that answers each store with its hash and data, and counts requests. */
async function fakeOwner() {
  const dir = mkdtempSync(join(tmpdir(), "owner-client-"));
  const socketPath = join(dir, "node.sock");
  const requests: { path: string | undefined; secret: unknown; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as PreparedStoreWire[];
      requests.push({ path: req.url, secret: req.headers[INTERNAL_HEADER], body });
      const results = body.map((w) => ({
        status: 200,
        body: { hash: w.message.hash, data: w.message.data },
      }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(results));
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { socketPath, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("ownerClient", () => {
  it("sends the stores of one turn in one request, and gives each its own answer", async () => {
    const owner = await fakeOwner();
    cleanups.push(owner.close);
    const client = ownerClient(owner.socketPath, "s3cret", silent);
    cleanups.push(client.close);
    const answers = await Promise.all([1, 2, 3].map((i) => client.store(prepared(i))));
    expect(answers.map((a) => (a.body as { hash: string }).hash)).toEqual(["hash1", "hash2", "hash3"]);
    // The bytes travel as base64 and come back intact.
    expect((answers[0]!.body as { data: string }).data).toBe(Buffer.from([1, 255, 0]).toString("base64"));
    expect(owner.requests).toHaveLength(1);
    expect(owner.requests[0]).toMatchObject({ path: OWNER_PATHS.store, secret: "s3cret" });
    // A later turn is its own request.
    await client.store(prepared(4));
    expect(owner.requests).toHaveLength(2);
  });

  it("answers 500 'request failed' to every store of a batch the owner did not take", async () => {
    const owner = await fakeOwner();
    await owner.close(); // nobody listens on the socket any more
    const client = ownerClient(owner.socketPath, "s3cret", silent);
    cleanups.push(client.close);
    const answers = await Promise.all([1, 2].map((i) => client.store(prepared(i))));
    for (const a of answers) expect(a).toEqual({ status: 500, body: "request failed", code: "INTERNAL" });
  });
});
