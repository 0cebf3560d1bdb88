/*
 * Authenticated store and retrieve on one node, 1 KiB messages.
 *
 * The node runs in its own process (bench/node-process.ts); this process is only the load
 * generator: 16 keep-alive connections (undici Pool), one request in flight on each, bodies signed
 * before the clock starts. Every timed line follows an untimed warm-up of the same kind.
 * Printed per method: wall-clock req/s with p50/p99 latency, and "per node core" = requests ÷
 * CPU-seconds the node process spent (robust to other load on a shared VM). The crypto limit is
 * the rate one core could reach doing only the request's cryptography with the node's own
 * functions (bench/crypto-limit.ts); ratio = limit ÷ node rate (1 would be a node that costs
 * nothing but its signatures). Two floors show what HTTP alone costs here: a bare node:http
 * server, and the node's storage-RPC fast path around an RPC that does nothing.
 *
 * Env: BENCH_REQUESTS (default 6000), BENCH_PROFILE=<dir> writes store/retrieve .cpuprofile files
 * of the node process for the timed runs.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { toBase64 } from "@session/crypto";
import { computeMessageHash } from "@session/protocol";
import { newAccount, signed } from "../test/helpers/node-net.ts";
import { BenchNet, type BenchNode, fmt, type LoadResult, runLoad } from "./harness.ts";

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 6000);
const WARM = Math.min(TOTAL, 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 16;
const PROFILE = process.env.BENCH_PROFILE;

const net = new BenchNet();
const [node] = (await net.start(1)) as [BenchNode];
const accounts = Array.from({ length: 50 }, () => newAccount());
/** The two latest message hashes of each account, so a retrieve can ask for exactly one. */
const latest = new Map<string, string[]>();

const ok = (what: string) => (status: number, body: Buffer) => {
  if (status !== 200) throw new Error(`${what}: HTTP ${status} ${body.toString()}`);
};

async function run(
  url: string,
  bodies: string[],
  check: (status: number, body: Buffer) => void,
  profileAs?: string,
): Promise<LoadResult> {
  if (PROFILE && profileAs) await node.call("profile-start");
  const r = await runLoad({
    url,
    path: "/storage_rpc/v1",
    bodies,
    concurrency: CONCURRENCY,
    contentType: "application/json",
    measured: [node],
    check,
  });
  if (PROFILE && profileAs)
    await node.call("profile-stop", { path: join(PROFILE, `${profileAs}.cpuprofile`) });
  return r;
}

/**
 * Signed stores of distinct 1 KiB messages (every one is new) to namespace 1. `track`: remember the
 * hashes for retrieveBodies (only for stores that go to the node).
 */
function storeBodies(n: number, track = true): string[] {
  return Array.from({ length: n }, (_, i) => {
    const a = accounts[i % accounts.length]!;
    const now = Date.now();
    const data = randomBytes(1024);
    const hs = latest.get(a.sessionId) ?? [];
    if (track) latest.set(a.sessionId, [...hs, computeMessageHash(a.sessionId, 1, data)].slice(-2));
    const params = { pubkey: a.sessionId, namespace: 1, timestamp: now, sig_timestamp: now, ttl: 600_000 };
    return JSON.stringify({
      method: "store",
      params: signed(a, "store", { ...params, data: toBase64(data) }),
    });
  });
}

/** Signed retrieves after each account's second-to-last message: each reply carries one message. */
function retrieveBodies(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const a = accounts[i % accounts.length]!;
    const params = {
      pubkey: a.sessionId,
      namespace: 1,
      timestamp: Date.now(),
      last_hash: latest.get(a.sessionId)![0],
    };
    return JSON.stringify({ method: "retrieve", params: signed(a, "retrieve", params) });
  });
}

const storeOk = (status: number, body: Buffer) => {
  ok("store")(status, body);
  if (!body.includes('"signature"')) throw new Error("store: no signed swarm entry");
};
const retrieveOk = (status: number, body: Buffer) => {
  ok("retrieve")(status, body);
  const n = (JSON.parse(body.toString()) as { messages: unknown[] }).messages.length;
  if (n !== 1) throw new Error(`retrieve: expected 1 message, got ${n}`);
};

// Timed lines run in ROUNDS rounds, each with the crypto limits measured right next to it: this VM's
// speed drifts by tens of percent over minutes, so a limit from another minute would skew a ratio.
interface Round {
  store: LoadResult;
  pipeline: LoadResult;
  /** The floor with its crypto on a worker thread, and that thread's CPU seconds in the run. */
  pipelineThread: LoadResult;
  cryptoThreadSeconds: number;
  retrieve: LoadResult;
  verify: number;
  sign: number;
}
const limitsNow = async () => {
  const [v, s] = [await node.limit({ op: "verify" }, 500), await node.limit({ op: "sign" }, 300)];
  return { verify: v.perCpuSecond, sign: s.perCpuSecond };
};
const pipelineUrl = await node.call<string>("start-pipeline", { dir: net.dir });
const pipelineThreadUrl = await node.call<string>("start-pipeline", { dir: net.dir, cryptoThread: true });
const cryptoThreadSeconds = () => node.call<number>("pipeline-crypto-cpu");
await run(node.url, storeBodies(WARM), storeOk); // warm-up: JIT, SQLite pages
await run(pipelineUrl, storeBodies(WARM, false), storeOk);
await run(pipelineThreadUrl, storeBodies(WARM, false), storeOk);
await run(node.url, retrieveBodies(WARM), retrieveOk);
const rounds: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const before = await limitsNow();
  const store = await run(node.url, storeBodies(TOTAL), storeOk, i === 0 ? "store" : undefined);
  // The store pipeline floor: only the steps no store can skip (bench/store-pipeline.ts).
  const pipeline = await run(pipelineUrl, storeBodies(TOTAL, false), storeOk);
  const thread0 = await cryptoThreadSeconds();
  const pipelineThread = await run(pipelineThreadUrl, storeBodies(TOTAL, false), storeOk);
  const thread1 = await cryptoThreadSeconds();
  const retrieve = await run(node.url, retrieveBodies(TOTAL), retrieveOk, i === 0 ? "retrieve" : undefined);
  const after = await limitsNow();
  rounds.push({
    store,
    pipeline,
    pipelineThread,
    cryptoThreadSeconds: thread1 - thread0,
    retrieve,
    verify: (before.verify + after.verify) / 2,
    sign: (before.sign + after.sign) / 2,
  });
}

// A large inbox: one account with INBOX messages, retrieved with the default limits (no
// max_count or max_size: a fifth of RETRIEVE_MAX_SIZE), as a client that was offline does.
const INBOX = Number(process.env.BENCH_INBOX ?? 10_000);
const inboxOwner = newAccount();
await run(
  node.url,
  Array.from({ length: INBOX }, () => {
    const now = Date.now();
    const params = {
      pubkey: inboxOwner.sessionId,
      namespace: 1,
      timestamp: now,
      sig_timestamp: now,
      ttl: 600_000,
    };
    return JSON.stringify({
      method: "store",
      params: signed(inboxOwner, "store", { ...params, data: toBase64(randomBytes(1024)) }),
    });
  }),
  storeOk,
);
let inboxReplyMessages = 0;
const inbox = await runLoad({
  url: node.url,
  path: "/storage_rpc/v1",
  bodies: Array.from({ length: 40 }, () =>
    JSON.stringify({
      method: "retrieve",
      params: signed(inboxOwner, "retrieve", {
        pubkey: inboxOwner.sessionId,
        namespace: 1,
        timestamp: Date.now(),
      }),
    }),
  ),
  concurrency: 2,
  contentType: "application/json",
  measured: [node],
  check: (status, body) => {
    ok("inbox retrieve")(status, body);
    inboxReplyMessages = (JSON.parse(body.toString()) as { messages: unknown[] }).messages.length;
  },
});

// The floors, fed the same store bodies and answering with a store reply's size.
const reply = JSON.stringify({
  swarm: { ["0".repeat(64)]: { hash: "h".repeat(43), signature: "s".repeat(88), expiry: 1 } },
  t: 1,
  hf: [19, 3],
  hash: "h".repeat(43),
});
const floorBodies = storeBodies(TOTAL, false);
const floors: LoadResult[] = [];
for (const fastPath of [false, true]) {
  const url = await node.call<string>("start-floor", { reply, fastPath });
  await run(url, floorBodies.slice(0, WARM), ok("floor"));
  floors.push(await run(url, floorBodies, ok("floor")));
}
const [bare, layer] = floors as [LoadResult, LoadResult];

// Other crypto figures, measured in the (now idle) node process on the node's own functions.
const verify = await node.limit({ op: "verify" });
const sign = await node.limit({ op: "sign" });
const convert = await node.limit({ op: "convert" });
const verifyWasm = await node.limit({ op: "verify-wasm" });
const signWasm = await node.limit({ op: "sign-wasm" });
await net.stop();

const perCore = (r: LoadResult) => r.requests / r.nodeCpuSeconds;
const micros = (r: LoadResult) => (r.nodeCpuSeconds / r.requests) * 1e6;
const us = (rate: number) => 1e6 / rate;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const storeLimit = (r: Round) => 1e6 / (us(r.verify) + us(r.sign));
/** One timed line of every round, then its medians (rates, latencies, ratios). */
const line = (
  name: string,
  pick: (r: Round) => LoadResult,
  limit: (r: Round) => number,
  limitName: string,
) => {
  const ratios = rounds.map((r) => limit(r) / perCore(pick(r)));
  for (const [i, r] of rounds.entries()) {
    const l = pick(r);
    console.log(
      `  round ${i + 1}: ${fmt(perCore(l))} req/s per node core (${micros(l).toFixed(0)} µs), limit ${fmt(limit(r))} → ${ratios[i]!.toFixed(2)}×; wall ${fmt(l.requests / l.wallSeconds)} req/s, p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms`,
    );
  }
  const m = (f: (l: LoadResult) => number) => median(rounds.map((r) => f(pick(r))));
  console.log(
    `${name}: ${fmt(m((l) => l.requests / l.wallSeconds))} req/s wall, p50 ${m((l) => l.p50).toFixed(2)} ms, p99 ${m((l) => l.p99).toFixed(2)} ms`,
  );
  console.log(
    `${name}: ${fmt(m(perCore))} req/s per node core (${m(micros).toFixed(0)} µs CPU per request) vs crypto limit ${fmt(median(rounds.map(limit)))} ops/s per core (${limitName}) → ratio ${median(ratios).toFixed(2)}× (median of ${rounds.length} rounds)`,
  );
};

console.log(
  `apps/node benchmark: one node process, load generator in another (${CONCURRENCY} keep-alive connections), ${ROUNDS} rounds of ${TOTAL} requests per line after ${WARM} untimed, 1 KiB messages`,
);
line("authenticated store (namespace 1)", (r) => r.store, storeLimit, "verify + sign");
line(
  "store pipeline floor (read, parse, verify, hash, SQLite insert, sign, reply)",
  (r) => r.pipeline,
  storeLimit,
  "verify + sign",
);
line(
  "store pipeline floor, its verify + sign on a worker thread",
  (r) => r.pipelineThread,
  storeLimit,
  "verify + sign",
);
line(
  "authenticated retrieve (1 message)",
  (r) => r.retrieve,
  (r) => r.verify,
  "verify",
);
console.log(
  `retrieve from a ${INBOX}-message inbox, default limits (${inboxReplyMessages} messages of 1 KiB per reply): ${((inbox.nodeCpuSeconds / inbox.requests) * 1e3).toFixed(1)} ms node CPU per request, p50 ${inbox.p50.toFixed(1)} ms`,
);
for (const [name, r] of [
  ["HTTP floor, bare node:http", bare],
  ["HTTP floor, node fast path around a no-op RPC", layer],
] as const) {
  console.log(`${name}: ${fmt(perCore(r))} req/s per node core (${micros(r).toFixed(0)} µs CPU per request)`);
}
const split = (name: string, pick: (r: Round) => LoadResult, crypto: (r: Round) => number) => {
  const total = median(rounds.map((r) => micros(pick(r))));
  const c = median(rounds.map(crypto));
  console.log(
    `${name} node CPU per request (µs/req, medians): ${total.toFixed(0)} = crypto ${c.toFixed(0)} + HTTP ${micros(layer).toFixed(0)} + rest ${(total - c - micros(layer)).toFixed(0)}`,
  );
};
split(
  "store",
  (r) => r.store,
  (r) => us(r.verify) + us(r.sign),
);
split(
  "store pipeline floor",
  (r) => r.pipeline,
  (r) => us(r.verify) + us(r.sign),
);
split(
  "retrieve",
  (r) => r.retrieve,
  (r) => us(r.verify),
);
{
  // Measured, not subtracted: the crypto thread's CPU, and everything else the floor costs.
  const per = (r: Round, s: number) => (s / r.pipelineThread.requests) * 1e6;
  const crypto = median(rounds.map((r) => per(r, r.cryptoThreadSeconds)));
  const rest = median(rounds.map((r) => per(r, r.pipelineThread.nodeCpuSeconds - r.cryptoThreadSeconds)));
  const loop = median(rounds.map((r) => us(r.verify) + us(r.sign)));
  console.log(
    `store pipeline floor with its crypto on a worker thread (µs/req, medians): crypto thread ${crypto.toFixed(0)} (tight loop ${loop.toFixed(0)}) + everything else ${rest.toFixed(0)}; a 1.5× ratio leaves ${(loop / 2).toFixed(0)} for everything else`,
  );
}
console.log(
  `crypto on the node's functions, ops/s per core: ed25519 verify (native libsodium) ${fmt(verify.perCpuSecond)}, sign (native libsodium) ${fmt(sign.perCpuSecond)}, ed25519→x25519 ${fmt(convert.perCpuSecond)} (cached per key)`,
);
console.log(
  `not taken, ops/s per core: ed25519 verify on libsodium WASM ${fmt(verifyWasm.perCpuSecond)}, sign on libsodium WASM ${fmt(signWasm.perCpuSecond)}`,
);
