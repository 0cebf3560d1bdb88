/*
 * Authenticated store and retrieve on one node, 1 KiB messages.
 *
 * The node runs in its own process (bench/node-process.ts); this process is only the load
 * generator: 16 keep-alive connections (undici Pool), one request in flight on each, bodies signed
 * before the clock starts. Printed per method: wall-clock req/s with p50/p99 latency, and
 * "per node core" = requests ÷ CPU-seconds the node process spent (robust to other load on a
 * shared VM). The crypto limit is the rate one core could reach doing only the request's
 * cryptography with the node's own functions (bench/crypto-limit.ts); ratio = limit ÷ node rate.
 *
 * Env: BENCH_REQUESTS (default 6000), BENCH_PROFILE=<dir> writes store/retrieve .cpuprofile files
 * of the node process for the timed runs.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { toBase64 } from "@session/crypto";
import { computeMessageHash } from "@session/protocol";
import { newAccount, signed } from "../test/helpers/node-net.ts";
import { combined } from "./crypto-limit.ts";
import { BenchNet, type BenchNode, fmt, type LoadResult, runLoad } from "./harness.ts";

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 6000);
const CONCURRENCY = 16;
const PROFILE = process.env.BENCH_PROFILE;

const net = new BenchNet();
const [node] = (await net.start(1)) as [BenchNode];
const accounts = Array.from({ length: 50 }, () => newAccount());
const storeBody = (i: number) => {
  const a = accounts[i % accounts.length]!;
  const now = Date.now();
  // Distinct 1 KiB payloads: every store is a new message.
  const data = randomBytes(1024);
  return {
    account: a,
    data,
    body: JSON.stringify({
      method: "store",
      params: signed(a, "store", {
        pubkey: a.sessionId,
        namespace: 1,
        timestamp: now,
        sig_timestamp: now,
        ttl: 600_000,
        data: toBase64(data),
      }),
    }),
  };
};

async function timed(
  name: string,
  bodies: string[],
  check: (status: number, body: Buffer) => void,
): Promise<LoadResult> {
  if (PROFILE) await node.call("profile-start");
  const r = await runLoad({
    url: node.url,
    path: "/storage_rpc/v1",
    bodies,
    concurrency: CONCURRENCY,
    contentType: "application/json",
    measured: [node],
    check,
  });
  if (PROFILE) await node.call("profile-stop", { path: join(PROFILE, `${name}.cpuprofile`) });
  return r;
}

const ok = (what: string) => (status: number, body: Buffer) => {
  if (status !== 200) throw new Error(`${what}: HTTP ${status} ${body.toString()}`);
};

// Warm-up (JIT, SQLite pages), untimed.
const warm = Array.from({ length: 600 }, (_, i) => storeBody(i).body);
await runLoad({
  url: node.url,
  path: "/storage_rpc/v1",
  bodies: warm,
  concurrency: CONCURRENCY,
  contentType: "application/json",
  measured: [node],
  check: ok("warm-up store"),
});

// Timed stores; the last two hashes per account are kept so retrieve can ask for one new message.
const last = new Map<string, string[]>();
const stores = Array.from({ length: TOTAL }, (_, i) => {
  const s = storeBody(i);
  const hs = last.get(s.account.sessionId) ?? [];
  hs.push(computeMessageHash(s.account.sessionId, 1, s.data));
  last.set(s.account.sessionId, hs.slice(-2));
  return s.body;
});
const store = await timed("store", stores, (status, body) => {
  ok("store")(status, body);
  if (!body.includes('"signature"')) throw new Error("store: no signed swarm entry");
});

// A retrieve after the account's second-to-last message: each reply carries one 1 KiB message.
const retrieves = Array.from({ length: TOTAL }, (_, i) => {
  const a = accounts[i % accounts.length]!;
  return JSON.stringify({
    method: "retrieve",
    params: signed(a, "retrieve", {
      pubkey: a.sessionId,
      namespace: 1,
      timestamp: Date.now(),
      last_hash: last.get(a.sessionId)![0],
    }),
  });
});
const retrieve = await timed("retrieve", retrieves, (status, body) => {
  ok("retrieve")(status, body);
  const n = (JSON.parse(body.toString()) as { messages: unknown[] }).messages.length;
  if (n !== 1) throw new Error(`retrieve: expected 1 message, got ${n}`);
});

// The HTTP floor: a bare node:http server in the same process reading the same bodies and sending
// a reply of a store's size; no node.js server can answer for less on this machine.
const floorUrl = await node.call<string>("start-floor", {
  reply: JSON.stringify({
    swarm: { ["0".repeat(64)]: { hash: "h".repeat(43), signature: "s".repeat(88), expiry: 1 } },
    t: 1,
    hf: [19, 3],
    hash: "h".repeat(43),
  }),
});
const floor = await runLoad({
  url: floorUrl,
  path: "/storage_rpc/v1",
  bodies: stores,
  concurrency: CONCURRENCY,
  contentType: "application/json",
  measured: [node],
  check: ok("floor"),
});

// The crypto limits, measured in the (now idle) node process on the node's own functions.
const verify = await node.limit({ op: "verify" });
const sign = await node.limit({ op: "sign" });
const convert = await node.limit({ op: "convert" });
await net.stop();

const perCore = (r: LoadResult) => r.requests / r.nodeCpuSeconds;
const micros = (r: LoadResult) => (r.nodeCpuSeconds / r.requests) * 1e6;
const line = (name: string, r: LoadResult, limit: number, limitName: string) => {
  console.log(
    `${name.padEnd(34)} ${fmt(r.requests / r.wallSeconds)} req/s wall   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms`,
  );
  console.log(
    `${"".padEnd(34)} ${fmt(perCore(r))} req/s per node core (node CPU ${r.nodeCpuSeconds.toFixed(2)} s, client CPU ${r.clientCpuSeconds.toFixed(2)} s)`,
  );
  console.log(
    `${"".padEnd(34)} ${fmt(limit)} ops/s per core crypto limit (${limitName}) → ratio ${(limit / perCore(r)).toFixed(2)}×`,
  );
};

console.log(
  `apps/node benchmark: one node process, load generator in another (${CONCURRENCY} keep-alive connections), ${TOTAL} requests per line, 1 KiB messages`,
);
line(
  "authenticated store (namespace 1)",
  store,
  combined([verify.perCpuSecond, sign.perCpuSecond]),
  "verify + sign",
);
line("authenticated retrieve (1 message)", retrieve, verify.perCpuSecond, "verify");
console.log(
  `${"HTTP floor (bare node:http, same bodies)".padEnd(34)} ${fmt(perCore(floor))} req/s per node core (${micros(floor).toFixed(0)} µs CPU per request)`,
);
const us = (rate: number) => 1e6 / rate;
const cryptoStore = us(verify.perCpuSecond) + us(sign.perCpuSecond);
const cryptoRetrieve = us(verify.perCpuSecond);
console.log(
  `node CPU per request: store ${micros(store).toFixed(0)} µs = crypto ${cryptoStore.toFixed(0)} + HTTP floor ${micros(floor).toFixed(0)} + rest ${(micros(store) - cryptoStore - micros(floor)).toFixed(0)}; retrieve ${micros(retrieve).toFixed(0)} µs = crypto ${cryptoRetrieve.toFixed(0)} + floor ${micros(floor).toFixed(0)} + rest ${(micros(retrieve) - cryptoRetrieve - micros(floor)).toFixed(0)}`,
);
console.log(
  `crypto per core on the node's functions: ed25519 verify ${fmt(verify.perCpuSecond)} ops/s, sign ${fmt(sign.perCpuSecond)} ops/s, ed25519→x25519 ${fmt(convert.perCpuSecond)} ops/s (cached per key by the node)`,
);
