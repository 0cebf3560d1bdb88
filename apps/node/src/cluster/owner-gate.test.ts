import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@session/service-kit";
import { Registry } from "prom-client";
import { Pool } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NodeContext } from "../deps.ts";
import type { NodePost } from "../onion/http.ts";
import { ownerGate } from "./owner-gate.ts";
import {
  INTERNAL_HEADER,
  OWNER_PATHS,
  RELAY_STATUS_HEADER,
  RELAY_TIMEOUT_HEADER,
  RELAY_URL_HEADER,
} from "./protocol.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const REGISTERED = "https://10.0.0.7:22021/sn/onion_request";

/** The owner's gate on a Unix socket, over a context holding one registered node and `nodePost`. */
async function gateWith(nodePost: NodePost) {
  const metrics = new Registry();
  const ctx = {
    config: { http: false },
    logger: createLogger({ name: "test", level: "silent" }),
    metrics,
    network: { allNodes: () => [{ public_ip: "10.0.0.7", storage_port: 22021 }] },
    nodePost,
  } as unknown as NodeContext;
  const dir = mkdtempSync(join(tmpdir(), "owner-gate-"));
  const socketPath = join(dir, "node.sock");
  const server = createServer();
  const gate = ownerGate(ctx, server, "s3cret");
  server.on("request", (req, res) => {
    if (!gate(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  const pool = new Pool("http://owner.invalid", { socketPath });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => new Promise<void>((r) => server.close(() => r())),
    () => pool.close(),
  );
  const relay = async (url: string, secret = "s3cret") => {
    const r = await pool.request({
      path: OWNER_PATHS.relay,
      method: "POST",
      headers: { [INTERNAL_HEADER]: secret, [RELAY_URL_HEADER]: url, [RELAY_TIMEOUT_HEADER]: "5000" },
      body: "layer",
    });
    return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
  };
  const counted = async (result: string) =>
    (await metrics.getSingleMetric("session_node_worker_relays_total")?.get())?.values.find(
      (v) => v.labels.result === result,
    )?.value ?? 0;
  return { relay, counted };
}

describe("ownerGate: a worker's onion relay", () => {
  it("sends it on to a registered node and answers with that node's reply and status", async () => {
    const post = vi.fn<NodePost>(async () => ({
      status: 200,
      contentType: "application/octet-stream",
      body: new TextEncoder().encode("sealed reply"),
    }));
    const { relay, counted } = await gateWith(post);
    const r = await relay(REGISTERED);
    expect(r).toMatchObject({ status: 200, body: "sealed reply" });
    expect(r.headers[RELAY_STATUS_HEADER]).toBe("200");
    expect(post).toHaveBeenCalledOnce();
    expect(post.mock.calls[0]![0]).toBe(REGISTERED);
    expect(Buffer.from(post.mock.calls[0]![1]).toString()).toBe("layer");
    expect(post.mock.calls[0]![2].timeoutMs).toBe(5000);
    expect(await counted("ok")).toBe(1);
  });

  it("refuses a URL that is not a registered node's relay endpoint, and a caller without the secret", async () => {
    const post = vi.fn<NodePost>();
    const { relay, counted } = await gateWith(post);
    for (const url of [
      "https://10.0.0.8:22021/sn/onion_request",
      "https://10.0.0.7:22021/storage_rpc/v1",
      "https://10.0.0.7:22021/sn/onion_request?x",
      "http://169.254.169.254/sn/onion_request",
    ])
      expect((await relay(url)).status, url).toBe(400);
    expect((await relay(REGISTERED, "wrong")).status).toBe(403);
    expect(post).not.toHaveBeenCalled();
    expect(await counted("refused")).toBe(4);
  });

  it("answers 504 when the next node times out and 502 when it cannot be reached", async () => {
    const timeout = Object.assign(new Error("slow"), { name: "TimeoutError" });
    const post = vi
      .fn<NodePost>()
      .mockRejectedValueOnce(timeout)
      .mockRejectedValueOnce(new Error("ECONNREFUSED"));
    const { relay, counted } = await gateWith(post);
    expect((await relay(REGISTERED)).status).toBe(504);
    expect((await relay(REGISTERED)).status).toBe(502);
    expect([await counted("timeout"), await counted("failed")]).toEqual([1, 1]);
  });
});
