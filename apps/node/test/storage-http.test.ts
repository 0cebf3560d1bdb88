/*
 * POST /storage_rpc/v1 is answered by the node:http fast path (src/rpc/http-fast-path.ts) ahead
 * of Hono; these check it answers as the Hono route does (app.request on the same context), and
 * keeps the rate limit, the body limit and the request metrics.
 */
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningNode } from "../src/node.ts";
import { startNode } from "../src/node.ts";
import { createApp } from "../src/server.ts";
import { newAccount, nodeConfig, retrieveParams, silent, storeParams, TestNet } from "./helpers/node-net.ts";

const net = new TestNet();
let node: RunningNode;
let limited: RunningNode;

beforeAll(async () => {
  [node] = (await net.start(1)) as [RunningNode];
  limited = await startNode(
    nodeConfig(join(net.dir, "limited"), net.registry, {
      maxBodyBytes: 2048,
      rateLimit: { perSecond: 0.001, burst: 4 },
    }),
    { logger: silent },
  );
});
afterAll(async () => {
  await limited.stop();
  await net.stop();
});

const post = async (url: string, body: string, path = "/storage_rpc/v1") => {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
};

/** The same request through the Hono route of a second app on the same node context. */
const viaHono = async (body: string) => {
  const { app, monitor } = createApp(node.ctx);
  try {
    const res = await app.request("/storage_rpc/v1", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  } finally {
    monitor.close();
  }
};

// Node times (`t`, `timestamp`) differ between two answers; everything else must match.
const stable = (text: string) => text.replace(/"(t|timestamp)":\d+/g, '"$1":0');

describe("storage RPC fast path", () => {
  it("answers like the Hono route: replies, errors, bad JSON, a byte-order mark", async () => {
    const a = newAccount();
    const bodies = [
      JSON.stringify({ method: "info", params: {} }),
      `\ufeff${JSON.stringify({ method: "info", params: {} })}`,
      "{not json",
      "",
      JSON.stringify({ method: "nope", params: {} }),
      JSON.stringify([1, 2]),
      JSON.stringify({ method: "retrieve", params: retrieveParams(a, { namespace: 1 }) }),
      JSON.stringify({
        method: "store",
        params: { ...storeParams(a, "x", Date.now(), { namespace: 1 }), signature: "A".repeat(86) },
      }),
    ];
    for (const body of bodies) {
      const fast = await post(node.url, body);
      const hono = await viaHono(body);
      expect({ ...fast, text: stable(fast.text) }).toEqual({ ...hono, text: stable(hono.text) });
    }
    // A failure is oxenss's plain text; our typed code travels in a header.
    const unsigned = JSON.stringify({ method: "retrieve", params: { pubkey: a.sessionId, namespace: 1 } });
    const res = await fetch(`${node.url}/storage_rpc/v1`, { method: "POST", body: unsigned });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("x-session-error-code")).toBe("BAD_REQUEST");
    expect(await res.text()).toBe("invalid request: Required field 'signature' missing");
    const notJson = await post(node.url, "{not json");
    expect(notJson).toEqual({ status: 400, type: "text/plain", text: "invalid json" });
    // A store the fast path accepted is there for the Hono route to retrieve, and vice versa.
    const stored = await post(node.url, JSON.stringify({ method: "store", params: storeParams(a, "hello") }));
    expect(stored.status).toBe(200);
    const hash = JSON.parse(stored.text).hash as string;
    const got = await viaHono(JSON.stringify({ method: "retrieve", params: retrieveParams(a) }));
    expect(JSON.parse(got.text).messages.map((m: { hash: string }) => m.hash)).toEqual([hash]);
  });

  it("leaves other methods and paths to Hono", async () => {
    const get = await fetch(`${node.url}/storage_rpc/v1`);
    const hono = await createApp(node.ctx).app.request("/storage_rpc/v1");
    expect(get.status).toBe(hono.status);
    expect(await get.text()).toBe(await hono.text());
    // A query string is not the fast path's exact route; Hono still serves it.
    const q = await post(node.url, JSON.stringify({ method: "info", params: {} }), "/storage_rpc/v1?x=1");
    expect(q.status).toBe(200);
  });

  it("refuses bodies over the limit, declared or streamed, and the connection stays usable", async () => {
    const big = JSON.stringify({ method: "info", params: { pad: "x".repeat(4000) } });
    const declared = await post(limited.url, big);
    // oxenss https.cpp: 413 with a plain-text "Request body too large".
    expect(declared).toEqual({ status: 413, type: "text/plain", text: "Request body too large" });
    const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const u = new URL(`${limited.url}/storage_rpc/v1`);
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: "POST",
          headers: { "transfer-encoding": "chunked" },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 8; i++) req.write("x".repeat(512));
      req.end();
    });
    expect(streamed).toEqual({ status: 413, text: "Request body too large" });
  });

  it("rate-limits per address with 429 once the burst is spent (oxenss's bodiless error: the reason phrase)", async () => {
    // Two requests of the burst went to the body-limit test above.
    const statuses: number[] = [];
    let last = "";
    for (let i = 0; i < 4; i++) {
      const r = await post(limited.url, JSON.stringify({ method: "info", params: {} }));
      statuses.push(r.status);
      last = r.text;
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(last).toBe("Too Many Requests\n");
  });

  it("records the same request metrics as the Hono middleware", async () => {
    const text = await (await fetch(`${limited.url}/metrics`)).text();
    const count = (status: number) =>
      Number(
        text.match(
          new RegExp(
            `session_node_http_requests_total\\{method="POST",route="/storage_rpc/v1",status="${status}"\\} (\\d+)`,
          ),
        )?.[1] ?? 0,
      );
    expect([count(200), count(413), count(429)]).toEqual([2, 2, 2]);
    expect(text).toMatch(
      /session_node_http_request_duration_seconds_count\{method="POST",route="\/storage_rpc\/v1",status="429"\} 2/,
    );
  });
});

describe("/metrics", () => {
  it("exports the WAL checkpoint thread's counts", async () => {
    const acct = newAccount();
    for (let i = 0; i < 5; i++) {
      const res = await post(
        node.url,
        JSON.stringify({ method: "store", params: storeParams(acct, `wal ${i}`) }),
      );
      expect(res.status).toBe(200);
    }
    const read = (text: string, name: string) =>
      Number(text.match(new RegExp(`^session_node_${name} (\\d+)$`, "m"))?.[1] ?? Number.NaN);
    // The thread copies the stores' frames back within an interval (200 ms).
    let text = "";
    const until = Date.now() + 10_000;
    do {
      text = await (await fetch(`${node.url}/metrics`)).text();
      if (read(text, "wal_checkpointed_frames_total") > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < until);
    expect(read(text, "wal_checkpointed_frames_total")).toBeGreaterThan(0);
    expect(read(text, "wal_checkpoints_total")).toBeGreaterThan(0);
    expect(read(text, "wal_checkpoint_failures_total")).toBe(0);
    // Exported from the start; it counts once a log reaches the thread's restart size.
    expect(text).toMatch(/^session_node_wal_restarts_total 0$/m);
  });
});

describe("other HTTP answers as the real network gives them", () => {
  it("POST /json_rpc is a seed: oxend's get_n_service_nodes over the registry", async () => {
    const r = await post(
      node.url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: "0",
        method: "get_n_service_nodes",
        params: { active_only: true, fields: { public_ip: true, storage_port: true }, limit: 5 },
      }),
      "/json_rpc",
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      id: "0",
      jsonrpc: "2.0",
      result: {
        service_node_states: [{ public_ip: node.info.public_ip, storage_port: node.info.storage_port }],
        status: "OK",
      },
    });
    const unknown = await post(
      node.url,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "get_info" }),
      "/json_rpc",
    );
    expect(JSON.parse(unknown.text)).toEqual({
      error: { code: -32601, message: "Method not found" },
      id: 1,
      jsonrpc: "2.0",
    });
  });

  it("the retired long-poll header gets oxenss's 410, on the fast path and the Hono route", async () => {
    const init = {
      method: "POST",
      headers: { "x-loki-long-poll": "true" },
      body: JSON.stringify({ method: "info", params: {} }),
    };
    const fast = await fetch(`${node.url}/storage_rpc/v1`, init);
    const { app, monitor } = createApp(node.ctx);
    const hono = await app.request("/storage_rpc/v1", init);
    monitor.close();
    for (const r of [fast, hono]) {
      expect(r.status).toBe(410);
      expect(await r.text()).toBe("long polling is no longer supported, client upgrade required");
    }
  });

  it("an unknown path is oxenss's plain-text 404", async () => {
    const r = await post(node.url, "{}", "/nope");
    expect(r.status).toBe(404);
    expect(r.text).toBe("POST /nope Not Found");
  });
});
