import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { openMonitorStream } from "@session/protocol/monitor";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { startNode } from "../src/node.ts";
import { writeRegistryFile } from "../src/swarm/membership.ts";
import { monitorSub, newAccount, nodeConfig, silent, storeParams, TestNet } from "./helpers/node-net.ts";
import { nodeListening } from "./helpers/node-process.ts";

const net = new TestNet();
afterAll(() => net.stop());

describe("operator features", () => {
  it("serves HTTPS with a self-signed certificate generated once and kept", async () => {
    const dataDir = join(net.dir, "tls-node");
    const registry = join(net.dir, "tls-registry.json");
    await writeRegistryFile(registry, []);
    const cfg = { ...nodeConfig(dataDir, registry), http: false };
    const node = await startNode(cfg, { logger: silent });
    expect(node.url.startsWith("https://")).toBe(true);
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    const res = await undiciFetch(`${node.url}/metrics`, { dispatcher: agent });
    expect(res.status).toBe(200);
    // Plain clients that verify certificates refuse it: nodes are trusted by key, not by TLS.
    await expect(fetch(`${node.url}/metrics`)).rejects.toThrow();
    const cert = readFileSync(join(dataDir, "tls.crt"), "utf8");
    await node.stop();
    const again = await startNode(cfg, { logger: silent });
    expect(readFileSync(join(dataDir, "tls.crt"), "utf8")).toBe(cert);
    expect(existsSync(join(dataDir, "node.seed"))).toBe(true);
    expect(again.info.pubkey_ed25519).toBe(node.info.pubkey_ed25519);
    await again.stop();
    await agent.close();
  });

  it("is configured by flags as well as the environment; a bad flag stops it at start, named", async () => {
    const registry = join(net.dir, "flags-registry.json");
    await writeRegistryFile(registry, []);
    const main = join(import.meta.dirname, "../src/main.ts");
    const run = (args: string[]) =>
      spawn(process.execPath, ["--import", "tsx", main, ...args], {
        // Nothing from the environment: every setting comes from the flags.
        env: { PATH: process.env.PATH ?? "" },
        stdio: ["ignore", "pipe", "pipe"],
      });
    const child = run([
      "--data-dir",
      join(net.dir, "flags-node"),
      "--http",
      "--port=0",
      // One process: starts within the timeout on a loaded machine (workers each load tsx).
      "--session-node-workers=1",
      "--registry-file",
      registry,
    ]);
    onTestFinished(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const url = await nodeListening(child, [], 20_000);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/health`)).status).toBeLessThan(600);
    child.kill("SIGTERM");
    expect(await new Promise((r) => child.once("exit", r))).toBe(0);

    const bad = run(["--registry-file", registry, "--prot", "80"]);
    let stderr = "";
    bad.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    expect(await new Promise((r) => bad.once("exit", r))).toBe(1);
    expect(stderr).toContain("invalid session-node configuration");
    expect(stderr).toContain("--prot: unknown flag");
    expect(stderr).toContain("--data-dir");
  }, 40_000);

  it("limits request bodies (413) and rates per client (429)", async () => {
    await writeRegistryFile(net.registry, []);
    const node = await startNode(
      {
        ...nodeConfig(join(net.dir, "limits"), net.registry),
        maxBodyBytes: 2048,
        rateLimit: { perSecond: 1, burst: 3 },
      },
      { logger: silent },
    );
    const post = (body: string) =>
      fetch(`${node.url}/storage_rpc/v1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const big = await post(JSON.stringify({ method: "info", params: {}, pad: "x".repeat(4096) }));
    expect(big.status).toBe(413);
    // oxenss's text; the typed code rides in a header.
    expect(big.headers.get("x-session-error-code")).toBe("PAYLOAD_TOO_LARGE");
    expect(await big.text()).toBe("Request body too large");
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await post(JSON.stringify({ method: "info", params: {} }))).status);
    expect(codes.at(-1)).toBe(429);
    await node.stop();
  });
});

/** A POST whose body arrives in two parts: the first now, the rest when `finish()` is called. */
function slowPost(url: string, path: string, body: string) {
  const u = new URL(url);
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  let settle!: (r: { status: number; body: string }) => void;
  let fail!: (e: unknown) => void;
  const response = new Promise<{ status: number; body: string }>((res, rej) => {
    settle = res;
    fail = rej;
  });
  const req = httpRequest(
    {
      host: u.hostname,
      port: u.port,
      path,
      method: "POST",
      // The server answers "100 Continue" once it has parsed the headers, right before it hands
      // the request to the app: the client's "continue" event says the server has the request.
      headers: {
        "content-type": "application/json",
        "content-length": bytes.length,
        expect: "100-continue",
      },
    },
    (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        text += c;
      });
      res.on("end", () => settle({ status: res.statusCode ?? 0, body: text }));
      res.on("error", fail);
    },
  );
  req.on("error", fail);
  req.write(bytes.subarray(0, half));
  return {
    response,
    /** Resolves once the server has the request (its 100 Continue) and waits for the rest of the body. */
    started: once(req, "continue").then(() => undefined),
    finish: () => req.end(bytes.subarray(half)),
  };
}

const refused = (url: string) =>
  fetch(`${url}/storage_rpc/v1`, { method: "POST", body: '{"method":"info","params":{}}' }).then(
    () => false,
    (err: { cause?: { code?: string } }) => err.cause?.code === "ECONNREFUSED",
  );

describe("graceful shutdown", () => {
  it("stop(): refuses new connections, finishes the request in flight, then closes the database", async () => {
    const node = await net.startOne("graceful");
    await net.publish([node]);
    const acct = newAccount();
    const slow = slowPost(
      node.url,
      "/storage_rpc/v1",
      JSON.stringify({
        method: "store",
        params: storeParams(acct, "x".repeat(50_000)),
        pad: "p".repeat(150_000),
      }),
    );
    await slow.started; // the node has the request and waits for its body
    const t0 = performance.now();
    let stopped = false;
    const stopping = node.stop().then(() => {
      stopped = true;
    });
    // It no longer accepts connections, and is still waiting for the request in flight (which
    // then gets its answer: cut, it would fail; answered on a closed database, it would be a 500).
    expect(await refused(node.url)).toBe(true);
    expect(stopped).toBe(false);
    expect(node.ctx.store.count(Date.now())).toBe(0); // the database is still open
    slow.finish();
    const res = await slow.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).hash).toMatch(/^[A-Za-z0-9+/]{43}$/);
    await stopping;
    // Done once the in-flight request ended, not by the 10 s forced close.
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(() => node.ctx.store.count(Date.now())).toThrow(/not open/);
    net.nodes.splice(net.nodes.indexOf(node), 1);
    // The store reached the disk before the database closed.
    const again = await startNode(nodeConfig(node.ctx.config.dataDir, net.registry), { logger: silent });
    expect(again.ctx.store.count(Date.now())).toBe(1);
    await again.stop();
  }, 20_000);

  it("stop(): connections that never began a request are closed, over HTTP and HTTPS", async () => {
    for (const http of [true, false]) {
      const registry = join(net.dir, `unused-${http}-registry.json`);
      await writeRegistryFile(registry, []);
      const node = await startNode(
        { ...nodeConfig(join(net.dir, `unused-${http}`), registry), http },
        {
          logger: silent,
        },
      );
      const { port } = new URL(node.url);
      // A client that connects (and, over TLS, shakes hands) but sends nothing and never hangs up.
      const socket = http
        ? connect(Number(port), "127.0.0.1")
        : tlsConnect({ port: Number(port), host: "127.0.0.1", rejectUnauthorized: false });
      await once(socket, http ? "connect" : "secureConnect");
      const closed = once(socket, "close");
      // And undici's own case: aborting a monitor stream leaves a spare connection open for 4 s.
      const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
      const abort = new AbortController();
      const stream = await openMonitorStream(
        (input, init) => undiciFetch(input as string, { ...(init as object), dispatcher }) as never,
        node.url,
        [monitorSub(newAccount())],
        { signal: abort.signal },
      );
      expect((await stream.next()).value?.event).toBe("subscribed");
      // The abort closes the stream's connection, then undici connects its spare one.
      const spare = once(dispatcher, "connect");
      abort.abort();
      await spare;
      const t0 = performance.now();
      await node.stop();
      await closed;
      // Not by the 10 s forced close, nor by the clients' keep-alive timeouts.
      expect(performance.now() - t0).toBeLessThan(2_000);
      await dispatcher.close();
    }
  }, 20_000);

  it("SIGTERM: the node process finishes the request in flight and exits 0", async () => {
    const dir = join(net.dir, "sigterm");
    const registry = join(net.dir, "sigterm-registry.json");
    await writeRegistryFile(registry, []);
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../src/main.ts")], {
      env: {
        ...process.env,
        SESSION_NODE_DATA_DIR: dir,
        SESSION_NODE_HTTP: "1",
        // One process (startNode): the cluster's own stop is test/multi-worker.test.ts's.
        SESSION_NODE_WORKERS: "1",
        PORT: "0",
        REGISTRY_FILE: registry,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const logs: string[] = [];
    const url = await nodeListening(child, logs, 20_000);
    const slow = slowPost(
      url,
      "/storage_rpc/v1",
      JSON.stringify({ method: "info", params: {}, pad: "y".repeat(100_000) }),
    );
    await slow.started; // the node has the request and waits for its body
    child.kill("SIGTERM");
    // The signal has reached it once it refuses connections.
    await expect.poll(() => refused(url), { timeout: 10_000, interval: 20 }).toBe(true);
    slow.finish();
    const res = await slow.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).version).toEqual([2, 11, 0]);
    const answered = performance.now();
    expect(await exited).toBe(0);
    // Promptly: the finished request's keep-alive socket does not hold the exit.
    expect(performance.now() - answered).toBeLessThan(3_000);
    expect(logs.some((l) => l.includes("shutting down"))).toBe(true);
  }, 40_000);
});
