import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  fromBase64,
  generateSeed,
  keypairFromSeed,
  onionSealLayer,
  toHex,
  utf8Decode,
  utf8Encode,
} from "@session/crypto";
import {
  decodeFinalHopResponse,
  encodeOnionLayer,
  encodeRelayRequest,
  FINAL_HOP_CONTROL,
} from "@session/protocol/onion";
import { openHopReply } from "@session/service-kit";
import { processAlive } from "@session/service-kit/testing";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatcherPost } from "../src/onion/http.ts";
import { ONION_RELAY_PATH } from "../src/onion/limits.ts";
import { nodeLinks } from "../src/onion/node-link.ts";
import { peerAuth } from "../src/replication/peer.ts";
import { writeRegistryFile } from "../src/swarm/membership.ts";
import { monitorSub, newAccount, retrieveParams, storeParams } from "./helpers/node-net.ts";
import { nodeListening } from "./helpers/node-process.ts";
import { openSse } from "./helpers/sse.ts";

// A node as operators run it (src/main.ts, SESSION_NODE_WORKERS=3): an owner process and three
// workers sharing the port. Stores and retrieves go through every worker; one worker is killed
// in the middle of a load; every store the node acknowledged is still there, the node answers on,
// the worker is replaced, and SIGTERM stops all of it with exit 0.
const WORKERS = 3;
/**
 * A bound, not a speed target: the workers' and the owner's grace periods share one deadline
 * (3 s), and docker's SIGKILL comes at 10 s. Before they did, a held node link kept a worker until
 * the owner killed it at 8 s.
 */
const STOP_LIMIT_MS = 6_000;
/** The per-address connection cap, kept by the owner over every worker together. */
const MAX_PER_ADDRESS = 40;
/** How long a connection may take to send its request headers (slow clients are cut). */
const HEADERS_TIMEOUT_MS = 3_000;
let dir: string;
let child: ChildProcess;
let exited: Promise<number | null>;
let url: string;
let nodeKeys: ReturnType<typeof keypairFromSeed>;
const logs: string[] = [];
// Many connections: the cluster hands each new connection to the next worker.
const dispatcher = new Agent({ connections: 16, pipelining: 1 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "multi-worker-"));
  const seed = generateSeed();
  // The node reads this seed on start (src/keys.ts): its key goes in the registry beforehand.
  mkdirSync(join(dir, "node"));
  writeFileSync(join(dir, "node", "node.seed"), `${toHex(seed)}\n`, { mode: 0o600 });
  const keys = keypairFromSeed(seed);
  nodeKeys = keys;
  const registry = join(dir, "registry.json");
  // This node alone: every account is its swarm's.
  await writeRegistryFile(registry, [
    {
      pubkey_ed25519: toHex(keys.ed25519.publicKey),
      pubkey_x25519: toHex(keys.x25519.publicKey),
      public_ip: "127.0.0.1",
      storage_port: 1,
    },
  ]);
  child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../src/main.ts")], {
    env: {
      PATH: process.env.PATH ?? "",
      SESSION_NODE_DATA_DIR: join(dir, "node"),
      SESSION_NODE_HTTP: "1",
      SESSION_NODE_WORKERS: String(WORKERS),
      PORT: "0",
      REGISTRY_FILE: registry,
      RATE_LIMIT_PER_SECOND: "100000",
      RATE_LIMIT_BURST: "100000",
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(MAX_PER_ADDRESS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  exited = new Promise((r) => child.once("exit", (code) => r(code)));
  url = await nodeListening(child, logs, 90_000);
}, 120_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await dispatcher.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  worker: number | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: tests read RPC bodies field by field
  body: any;
}

async function call(method: string, params: unknown): Promise<Answer> {
  const res = await request(`${url}/storage_rpc/v1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method, params }),
    dispatcher,
    // Only a guard: a connection passed to the worker killed below ends with it (the owner closes
    // its copy of any the worker never took: cluster/connection-dispatch.ts), never left hanging.
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const text = await res.body.text();
  const worker = res.headers["x-session-node-worker"];
  return {
    status: res.statusCode,
    worker: typeof worker === "string" ? Number(worker) : undefined,
    body: res.statusCode === 200 ? JSON.parse(text) : text,
  };
}

async function health() {
  const res = await request(`${url}/health`, { dispatcher });
  return (await res.body.json()) as { ok: boolean; workers: { count: number; pids: number[] } };
}

describe("a node on several worker processes", () => {
  const accounts = Array.from({ length: 6 }, () => newAccount());
  /** Every hash a store was acknowledged (200) for, by account. */
  const acked = new Map<string, Set<string>>(accounts.map((a) => [a.sessionId, new Set()]));
  /** 200 answers per worker pid. */
  const served = new Map<number, number>();
  const note = (a: Answer) => {
    if (a.status === 200 && a.worker !== undefined) served.set(a.worker, (served.get(a.worker) ?? 0) + 1);
  };
  let n = 0;
  const storeOne = async (i: number) => {
    const acct = accounts[i % accounts.length]!;
    const a = await call("store", storeParams(acct, `message ${n++}`));
    note(a);
    if (a.status === 200) {
      expect(a.body.hash).toMatch(/^[A-Za-z0-9+/]{43}$/);
      acked.get(acct.sessionId)!.add(a.body.hash);
    }
    return a;
  };

  it("reports its workers in /health", async () => {
    const h = await health();
    expect(h.ok).toBe(true);
    expect(h.workers.count).toBe(WORKERS);
    expect(new Set(h.workers.pids).size).toBe(WORKERS);
    expect(h.workers.pids.every(processAlive)).toBe(true);
  }, 30_000);

  it("passes a monitor stream to the owner, which announces the stores the workers prepared", async () => {
    const acct = newAccount();
    const sse = await openSse(`${url}/monitor/v1/stream`, { subscriptions: [monitorSub(acct)] });
    expect(sse.status).toBe(200);
    expect((await sse.next(10_000))?.event).toBe("subscribed");
    const stores = await Promise.all([1, 2, 3].map((i) => call("store", storeParams(acct, `watched ${i}`))));
    expect(stores.every((a) => a.status === 200)).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const ev = await sse.next(10_000);
      expect(ev?.event).toBe("message");
      seen.add((ev?.data as { hash: string }).hash);
    }
    expect(seen).toEqual(new Set(stores.map((a) => a.body.hash as string)));
    sse.close();
  }, 60_000);

  it("takes node links in a worker: relays opened there, peer requests answered by the owner (signature checked)", async () => {
    const agent = new Agent();
    const links = nodeLinks(dispatcherPost(agent), { maxReplyBytes: 1 << 20 });
    try {
      const body = new TextEncoder().encode(JSON.stringify({ action: "sync" }));
      const opts = { timeoutMs: 10_000, maxReplyBytes: 1 << 20 };
      // The only registered node is this one: its own key is a known sender.
      const good = await links.peerRequest(url, peerAuth(nodeKeys.ed25519, body, Date.now()), body, opts);
      expect(good?.status).toBe(200);
      const stranger = keypairFromSeed(generateSeed()).ed25519;
      const refused = await links.peerRequest(url, peerAuth(stranger, body, Date.now()), body, opts);
      expect(refused?.status).toBe(401);
      // An onion relay on the same link, this node its final hop (`info`).
      const sealed = onionSealLayer(
        encodeOnionLayer(utf8Encode(JSON.stringify({ method: "info", params: {} })), FINAL_HOP_CONTROL),
        nodeKeys.x25519.publicKey,
        "xchacha20",
      );
      const relayed = await links.post(
        `${url}${ONION_RELAY_PATH}`,
        encodeRelayRequest({
          data: sealed.ciphertext,
          encType: "xchacha20",
          ephemeralKey: sealed.ephemeralPublicKey,
          hopNo: 1,
        }),
        opts,
      );
      expect(relayed.status).toBe(200);
      // A final hop reached by a relay answers in base64 (as oxenss does).
      const sealedReply = fromBase64(utf8Decode(relayed.body));
      const inner = decodeFinalHopResponse(utf8Decode(openHopReply("xchacha20", sealedReply, sealed.keys)));
      expect(inner.status).toBe(200);
      expect(links.open).toBe(1); // all over the one link a worker took
      // The owner holds no link: the worker serves it (it used to pass links on to the owner).
      const text = await (await request(`${url}/metrics`)).body.text();
      expect(text).toMatch(/session_node_node_links\{direction="in"\} 0\b/);
    } finally {
      links.close();
      await agent.close();
    }
  }, 30_000);

  it("keeps the owner's socket to the workers: no secret, no answer; a client cannot speak as a worker", async () => {
    // Straight to the socket, without the secret: refused.
    const direct = await request("http://owner/health", {
      dispatcher: new Agent({ connect: { socketPath: join(dir, "node", "node.sock") } }),
    });
    await direct.body.dump();
    expect(direct.statusCode).toBe(403);
    // Through a worker, a client naming a worker's own request is served as a client (oxenss's
    // 404 here), not as a worker's batch of stores.
    const forged = await request(`${url}/store`, {
      method: "POST",
      headers: { "x-session-node-internal": "guess", "content-type": "application/json" },
      body: "[]",
      dispatcher,
    });
    expect(forged.statusCode).toBe(404);
    expect(await forged.body.text()).toBe("POST /store Not Found");
  }, 30_000);

  it("serves concurrent stores and retrieves from several workers", async () => {
    const stores = await Promise.all(Array.from({ length: 60 }, (_, i) => storeOne(i)));
    expect(stores.every((a) => a.status === 200)).toBe(true);
    const storeWorkers = new Set(stores.map((a) => a.worker));
    expect(storeWorkers.size).toBeGreaterThanOrEqual(2);
    const retrieves = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call("retrieve", retrieveParams(accounts[i % accounts.length]!))),
    );
    for (const r of retrieves) note(r);
    expect(retrieves.every((r) => r.status === 200)).toBe(true);
    expect(new Set(retrieves.map((r) => r.worker)).size).toBeGreaterThanOrEqual(2);
    // Any worker sees every store any other acknowledged (the owner committed it first).
    for (const [i, r] of retrieves.entries()) {
      const hashes = (r.body.messages as { hash: string }[]).map((m) => m.hash).sort();
      expect(hashes).toEqual([...acked.get(accounts[i % accounts.length]!.sessionId)!].sort());
    }
  }, 60_000);

  it("loses no acknowledged store when a worker is killed mid-load, and replaces it", async () => {
    const before = (await health()).workers.pids;
    const victim = before[0]!;
    let running = true;
    let failed = 0;
    const load = async (lane: number) => {
      while (running) {
        // Requests on the killed worker's connections fail: those were never acknowledged.
        await storeOne(lane).catch(() => {
          failed++;
        });
      }
    };
    const lanes = Array.from({ length: 8 }, (_, i) => load(i));
    await new Promise((r) => setTimeout(r, 500));
    process.kill(victim, "SIGKILL");
    await new Promise((r) => setTimeout(r, 1_500));
    running = false;
    await Promise.all(lanes);
    expect(processAlive(victim)).toBe(false);
    // The victim was taking its share of the load when it died.
    expect(served.get(victim) ?? 0).toBeGreaterThan(0);

    // The node answers on (through the workers left, then the replacement too).
    const after = await storeOne(0);
    expect(after.status).toBe(200);
    await expect
      .poll(async () => (await health()).workers, { timeout: 30_000, interval: 200 })
      .toMatchObject({ count: WORKERS });
    const pids = (await health()).workers.pids;
    expect(pids).not.toContain(victim);
    expect(pids.every(processAlive)).toBe(true);
    expect(logs.some((l) => l.includes("worker died; starting a replacement"))).toBe(true);

    // Every acknowledged store is there, whichever worker took it and whichever answers now.
    for (const acct of accounts) {
      const r = await call("retrieve", retrieveParams(acct));
      expect(r.status).toBe(200);
      const stored = new Set((r.body.messages as { hash: string }[]).map((m) => m.hash));
      for (const h of acked.get(acct.sessionId)!) expect(stored.has(h)).toBe(true);
    }
    expect(failed).toBeLessThan(100);
  }, 90_000);

  it("caps one address's connections over all the workers together", async () => {
    // Raw connections that send nothing: each one a worker accepted stays open (waiting for its
    // first request); those over the cap are closed by the owner before any worker sees them.
    const port = Number(new URL(url).port);
    const sockets = Array.from({ length: MAX_PER_ADDRESS + 20 }, () => {
      const s = connect(port, "127.0.0.1");
      s.on("error", () => {});
      return s;
    });
    await Promise.all(sockets.map((s) => new Promise((r) => s.once("connect", r))));
    await new Promise((r) => setTimeout(r, 1_000));
    const open = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
    // Per worker (node:cluster's sharing) the three workers would have taken them all.
    expect(open).toBeLessThanOrEqual(MAX_PER_ADDRESS);
    expect(open).toBeGreaterThanOrEqual(MAX_PER_ADDRESS - 20); // the agent's own connections count too
    for (const s of sockets) s.destroy();
    // Closed in the workers, released in the owner: the address may connect again.
    await expect
      .poll(
        async () => {
          const s = connect(port, "127.0.0.1");
          s.on("error", () => {});
          await new Promise((r) => s.once("connect", r));
          const res = await call("info", {});
          s.destroy();
          return res.status;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(200);
  }, 30_000);

  it("cuts a connection passed to a worker that sends no request within the header timeout", async () => {
    const s = connect(Number(new URL(url).port), "127.0.0.1");
    s.on("error", () => {});
    s.resume();
    const closed = new Promise<number>((r) => s.once("close", () => r(Date.now())));
    await new Promise((r) => s.once("connect", r));
    const t0 = Date.now();
    // node:http's timeouts run only for connections it tracks, which a server that never listens
    // has none of unless told (the worker is told 'listening').
    const t1 = await closed;
    expect(t1 - t0).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 500);
    expect(t1 - t0).toBeLessThan(HEADERS_TIMEOUT_MS + 3_000);
  }, 15_000);

  it("sums the live workers' request counts in /metrics", async () => {
    const res = await request(`${url}/metrics`, { dispatcher });
    const text = await res.body.text();
    const ok = text
      .split("\n")
      .filter(
        (l) =>
          l.startsWith("session_node_http_requests_total{") &&
          l.includes('route="/storage_rpc/v1"') &&
          l.includes('status="200"'),
      )
      .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
    const pids = (await health()).workers.pids;
    // At least what the workers alive now answered; the killed worker's counts went with it.
    const liveServed = pids.reduce((sum, pid) => sum + (served.get(pid) ?? 0), 0);
    expect(liveServed).toBeGreaterThan(0);
    expect(ok).toBeGreaterThanOrEqual(liveServed);
    // More than any one worker answered: the numbers are summed over the workers.
    expect(ok).toBeGreaterThan(Math.max(...pids.map((pid) => served.get(pid) ?? 0)));
  }, 30_000);

  it("stops every process on SIGTERM, workers first, exit 0, within one grace period", async () => {
    const pids = (await health()).workers.pids;
    // Held open across the stop: a node link (an upgrade a worker passes to the owner), a monitor
    // stream, and a client that sent half a request.
    const agent = new Agent();
    const links = nodeLinks(dispatcherPost(agent), { maxReplyBytes: 1 << 20 });
    const body = new TextEncoder().encode(JSON.stringify({ action: "sync" }));
    const linked = await links.peerRequest(url, peerAuth(nodeKeys.ed25519, body, Date.now()), body, {
      timeoutMs: 10_000,
      maxReplyBytes: 1 << 20,
    });
    expect(linked?.status).toBe(200);
    const sse = await openSse(`${url}/monitor/v1/stream`, { subscriptions: [monitorSub(newAccount())] });
    const half = connect(Number(new URL(url).port), "127.0.0.1");
    half.on("error", () => {});
    await new Promise((r) => half.once("connect", r));
    half.write("POST /storage_rpc/v1 HTTP/1.1\r\nhost: node\r\ncontent-length: 100\r\n\r\n{");

    const t0 = Date.now();
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const took = Date.now() - t0;
    for (const pid of pids) await expect.poll(() => processAlive(pid), { timeout: 10_000 }).toBe(false);
    expect(logs.some((l) => l.includes("shutting down"))).toBe(true);
    // Every worker stopped by itself within the grace period: none had to be killed.
    expect(logs.filter((l) => l.includes("did not stop in time"))).toEqual([]);
    expect(took).toBeLessThan(STOP_LIMIT_MS);
    links.close();
    sse.close();
    half.destroy();
    await agent.close();
  }, 30_000);
});
