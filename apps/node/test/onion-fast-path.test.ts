/*
 * A storage node answers the onion endpoints on its node:http fast path (onionService) and relays
 * to the next node with undici request (dispatcherPost). These check both against the Hono routes
 * and the fetch-based poster they stand in for.
 */

import { join } from "node:path";
import { fromHex, utf8Encode } from "@session/crypto";
import { encodeOnionLayer } from "@session/protocol/onion";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningNode, startNode } from "../src/node.ts";
import { dispatcherPost, isTimeout, postWithTimeout } from "../src/onion/http.ts";
import { ERROR_CODE_HEADER } from "../src/onion/reply.ts";
import { createApp } from "../src/server.ts";
import { writeRegistryFile } from "../src/swarm/membership.ts";
import { nodeConfig, silent, TestNet } from "./helpers/node-net.ts";
import { buildClientOnion } from "./helpers/onion-client.ts";
import { startRawServer } from "./helpers/raw-server.ts";

const net = new TestNet();
let guard: RunningNode;
let dest: RunningNode;
beforeAll(async () => {
  [guard, dest] = (await net.start(2)) as [RunningNode, RunningNode];
});
afterAll(() => net.stop());

const hop = (n: RunningNode) => ({ ed25519: n.keys.ed25519.publicKey, x25519: n.keys.x25519.publicKey });
const info = utf8Encode(JSON.stringify({ method: "info", params: {} }));

type Answer = { status: number; type: string | null; code: string | null; body: Uint8Array };
const answer = async (res: Response): Promise<Answer> => ({
  status: res.status,
  type: res.headers.get("content-type"),
  code: res.headers.get(ERROR_CODE_HEADER),
  body: new Uint8Array(await res.arrayBuffer()),
});
const fast = async (path: string, body: Uint8Array, headers: Record<string, string> = {}) =>
  answer(
    await fetch(`${guard.url}${path}`, { method: "POST", body: body as Uint8Array<ArrayBuffer>, headers }),
  );
const hono = async (path: string, body: Uint8Array, headers: Record<string, string> = {}) => {
  const { app, monitor } = createApp(guard.ctx);
  try {
    return await answer(
      await app.request(path, { method: "POST", body: body as Uint8Array<ArrayBuffer>, headers }),
    );
  } finally {
    monitor.close();
  }
};

describe("onion fast path", () => {
  it("refuses what the Hono routes refuse, with the same status, code header and text", async () => {
    const unknownNext = buildClientOnion({
      payload: info,
      destination: { kind: "node", ed25519: new Uint8Array(32).fill(7), x25519: hop(dest).x25519 },
      hops: [hop(guard)],
      encType: "aes-gcm",
    }).request;
    const badCiphertext = encodeOnionLayer(new Uint8Array(64), {
      ephemeral_key: "11".repeat(32),
      enc_type: "xchacha20",
    });
    const cases: [string, Uint8Array][] = [
      ["/onion_req/v2", new Uint8Array([1, 2, 3])],
      ["/onion_req/v2", badCiphertext],
      ["/oxen/v4/lsrpc", badCiphertext],
      ["/onion_req/v2", unknownNext],
      ["/sn/onion_request", utf8Encode("not bencode")],
      ["/onion_req/v2", new Uint8Array(11 * 1024 * 1024)],
    ];
    for (const [path, body] of cases) {
      const f = await fast(path, body);
      const h = await hono(path, body);
      expect({ ...f, body: Buffer.from(f.body).toString() }).toEqual({
        ...h,
        body: Buffer.from(h.body).toString(),
      });
      expect(f.status).toBeGreaterThanOrEqual(400);
    }
  });

  it("carries a request guard → destination and back, as the Hono route does", async () => {
    for (const encType of ["aes-gcm", "xchacha20"] as const) {
      const build = () =>
        buildClientOnion({
          payload: info,
          destination: { kind: "node", ...hop(dest) },
          hops: [hop(guard)],
          encType,
        });
      const a = build();
      const b = build();
      const f = await fast("/onion_req/v2", a.request);
      const h = await hono("/onion_req/v2", b.request);
      expect([f.status, f.type, f.code]).toEqual([h.status, h.type, h.code]);
      const fi = a.openJson(f.body);
      const hi = b.openJson(h.body);
      expect(fi.status).toBe(200);
      expect(Object.keys(fi.body as object)).toEqual(Object.keys(hi.body as object));
    }
    const metrics = await (await fetch(`${guard.url}/metrics`)).text();
    expect(metrics).toMatch(/session_node_onion_requests_total\{outcome="node",code="ok"\} [1-9]/);
  });
});

describe("dispatcherPost", () => {
  it("matches postWithTimeout: status, content type, body, reply cap, timeout", async () => {
    const server = await startRawServer((req, res) => {
      if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2000).unref();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        if (req.url === "/big") {
          res.writeHead(200, { "content-type": "text/plain" });
          res.end(Buffer.alloc(5000));
          return;
        }
        if (req.url === "/chunked") {
          res.writeHead(201);
          res.write(Buffer.alloc(3000));
          res.end(Buffer.alloc(3000));
          return;
        }
        res.writeHead(207, { "content-type": "application/x-echo" });
        res.end(Buffer.concat([Buffer.from(req.headers["content-type"] ?? ""), body]));
      });
    });
    const agent = new Agent();
    const post = dispatcherPost(agent);
    const viaFetch = (url: string, body: Uint8Array, opts: { timeoutMs: number; maxReplyBytes: number }) =>
      postWithTimeout(fetch, url, body, opts);
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const body = fromHex("00ff10");
      const opts = { timeoutMs: 1000, maxReplyBytes: 4096 };
      for (const p of [post, viaFetch]) {
        const r = await p(`${base}/echo`, body, opts);
        expect(r.status).toBe(207);
        expect(r.contentType).toBe("application/x-echo");
        expect(Buffer.from(r.body).toString("hex")).toBe(
          `${Buffer.from("application/octet-stream").toString("hex")}00ff10`,
        );
        for (const big of ["/big", "/chunked"]) {
          await expect(p(`${base}${big}`, body, opts)).rejects.toMatchObject({ code: "BAD_GATEWAY" });
        }
        const slow = await p(`${base}/slow`, body, { timeoutMs: 50, maxReplyBytes: 10 }).catch(
          (e: unknown) => e,
        );
        expect(isTimeout(slow)).toBe(true);
      }
      const r = await post(`${base}/chunked`, body, { timeoutMs: 1000, maxReplyBytes: 6000 });
      expect([r.status, r.contentType, r.body.length]).toEqual([201, "application/octet-stream", 6000]);
    } finally {
      await agent.close();
      await server.close();
    }
  });
});

describe("fast paths over HTTPS", () => {
  it("serve the storage RPC and relay an onion request between HTTPS nodes", async () => {
    const registry = join(net.dir, "tls-registry.json");
    await writeRegistryFile(registry, []);
    const nodes = await Promise.all(
      ["tls-a", "tls-b"].map((n) =>
        startNode({ ...nodeConfig(join(net.dir, n), registry), http: false }, { logger: silent }),
      ),
    );
    const [a, b] = nodes as [RunningNode, RunningNode];
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      await writeRegistryFile(registry, [a.info, b.info]);
      await Promise.all(nodes.map((n) => n.refreshRegistry()));
      expect(a.url.startsWith("https://")).toBe(true);
      const rpc = await undiciFetch(`${a.url}/storage_rpc/v1`, {
        method: "POST",
        body: JSON.stringify({ method: "info", params: {} }),
        dispatcher: agent,
      });
      expect(rpc.status).toBe(200);
      expect(((await rpc.json()) as { version: number[] }).version).toHaveLength(3);
      const onion = buildClientOnion({
        payload: info,
        destination: { kind: "node", ...hop(b) },
        hops: [hop(a)],
        encType: "xchacha20",
      });
      const res = await undiciFetch(`${a.url}/onion_req/v2`, {
        method: "POST",
        body: onion.request,
        dispatcher: agent,
      });
      expect(res.status).toBe(200);
      expect(onion.openJson(new Uint8Array(await res.arrayBuffer())).status).toBe(200);
      // The relay went a → b over a node link (TLS, same port).
      const links = async (n: RunningNode) => {
        const text = await (await undiciFetch(`${n.url}/metrics`, { dispatcher: agent })).text();
        const at = (dir: string) =>
          Number(new RegExp(`session_node_node_links\\{direction="${dir}"\\} (\\d+)`).exec(text)?.[1]);
        return { out: at("out"), in: at("in") };
      };
      expect(await links(a)).toEqual({ out: 1, in: 0 });
      expect(await links(b)).toEqual({ out: 0, in: 1 });
    } finally {
      await agent.close();
      await Promise.all(nodes.map((n) => n.stop()));
    }
  }, 30_000); // three HTTPS nodes (certificates, TLS) start here: slow on a busy 2-core machine

  it("relay over plain HTTP requests when node links are off (NODE_LINKS=0), and to a peer that has them off", async () => {
    const registry = join(net.dir, "nolinks-registry.json");
    await writeRegistryFile(registry, []);
    const [a, b, c] = (await Promise.all(
      [false, false, true].map((linksOn, i) =>
        startNode(
          { ...nodeConfig(join(net.dir, `nolinks-${i}`), registry), nodeLinks: linksOn },
          { logger: silent },
        ),
      ),
    )) as [RunningNode, RunningNode, RunningNode];
    try {
      await writeRegistryFile(registry, [a.info, b.info, c.info]);
      await Promise.all([a, b, c].map((n) => n.refreshRegistry()));
      // a (links off) → b; c (links on) → b (b, links off, still accepts links) and c → a.
      for (const [from, to] of [
        [a, b],
        [c, b],
        [c, a],
      ] as const) {
        const onion = buildClientOnion({
          payload: info,
          destination: { kind: "node", ...hop(to) },
          hops: [hop(from)],
          encType: "aes-gcm",
        });
        const res = await fetch(`${from.url}/onion_req/v2`, { method: "POST", body: onion.request });
        expect(res.status).toBe(200);
        expect(onion.openJson(new Uint8Array(await res.arrayBuffer())).status).toBe(200);
      }
      const metric = async (n: RunningNode, dir: string) =>
        Number(
          new RegExp(`session_node_node_links\\{direction="${dir}"\\} (\\d+)`).exec(
            await (await fetch(`${n.url}/metrics`)).text(),
          )?.[1],
        );
      expect(await metric(a, "out")).toBe(0);
      expect(await metric(c, "out")).toBe(2);
      expect(await metric(b, "in")).toBe(1);
    } finally {
      await Promise.all([a, b, c].map((n) => n.stop()));
    }
  });
});
