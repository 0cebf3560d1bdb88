/*
 * Our node beside the real oxen-storage-server (oxenss), on the same machine, with the same load
 * generator (bench/harness.ts runLoad: 32 keep-alive HTTPS connections to 127.0.0.1, bodies built
 * before the clock starts, 1 KiB messages), in alternating rounds (the order flips every round),
 * medians of the rounds. Lines:
 *  - store to namespace 0 (unsigned, as oxenss allows), each message new;
 *  - signed retrieve that returns exactly one message (last_hash = the account's second-to-last);
 *  - onion: a one-layer onion request to `/onion_req/v2` whose destination is the server itself
 *    (guard = final hop: open the layer, run the storage RPC `info`, seal the reply). That is the
 *    deepest path one oxenss can serve alone (oxenss v2.6.2 has no `/oxen/v4/lsrpc` on its HTTPS
 *    port for a node destination);
 *  - onion3: a 3-hop path over a network of three of each (guard → relay → destination, which
 *    answers `info`), entering at the first: three oxenss relaying to each other over OxenMQ, each
 *    with a mock-oxend listing all three (bench/oxenss/mock-oxend.cpp), against three of our
 *    nodes relaying over their node links, each at SESSION_NODE_WORKERS=BENCH_NETWORK_WORKERS
 *    (default 1, as a host running several nodes sets it).
 * Per line and server: req/s (wall clock), p99, and CPU µs per request of the server's process
 * tree from /proc (oxenss with its threads; our node with any workers), then the ratios against
 * the targets (our throughput ≥ 1.2× oxenss's, p99 no worse).
 *
 * Then a scaling line: our node from its main entry at SESSION_NODE_WORKERS=1 and =N (N = cores).
 *
 * Env: OXENSS_BIN (oxen-storage built with ../shared/peers/oxenss/BUILD.sh; without it the
 * side-by-side lines are skipped), OXENSS_MOCK_OXEND (default: the recipe's mock-oxend next to
 * it; the onion3 line needs bench/oxenss/mock-oxend.cpp's, built with build-mock-oxend.sh), OXENSS_DIR (where oxenss keeps its TLS and dh.pem between runs; default a tmp dir),
 * BENCH_REQUESTS (per line and round, default 4000), BENCH_ROUNDS (3), BENCH_WORKERS (N),
 * BENCH_SCALING=0 (no scaling line), BENCH_NODE_FLAGS (extra node flags, bench/servers.ts),
 * BENCH_NODE_STDOUT=1 (the nodes' stdout here: what `--trace-gc-nvp` and the like print),
 * BENCH_LOADGEN=wrk|node (who drives the timed closed-loop rounds; default wrk when it is
 * installed: Debian's wrk, bench/wrk.ts, for BENCH_WRK_SECONDS each, default 2, from
 * BENCH_WRK_STORES new stores, default 40000; warm-up, checks and the paced line stay on this
 * process's generator, whose rate then comes from one closed-loop round of its own against
 * oxenss. `node`: this process's undici generator, which spends 60–110 µs of the shared cores per
 * request against wrk's 25–60).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { onionSealLayer, toBase64, utf8Decode, utf8Encode } from "@session/crypto";
import { computeMessageHash } from "@session/protocol";
import {
  buildOnionRequest,
  decodeFinalHopResponse,
  type EncType,
  encodeOnionLayer,
  FINAL_HOP_CONTROL,
} from "@session/protocol/onion";
import { openHopReply } from "@session/service-kit";
import { newAccount, signed } from "../test/helpers/node-net.ts";
import { fmt, type LoadResult, percentile, runLoad } from "./harness.ts";
import { processTree } from "./proc-cpu.ts";
import {
  type BenchNetwork,
  type BenchServer,
  startNodeMain,
  startNodeNetwork,
  startOxenss,
  startOxenssNetwork,
} from "./servers.ts";
import { runWrk, wrkInstalled } from "./wrk.ts";

const OXENSS_BIN = process.env.OXENSS_BIN;
const TOTAL = Number(process.env.BENCH_REQUESTS ?? 4000);
const WARM = Math.min(TOTAL, 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());
const CONCURRENCY = 32;
/** BENCH_LINES=retrieve,onion runs only those (a profile of one path, say). */
const LINES = (process.env.BENCH_LINES?.split(",") ?? ["store", "retrieve", "onion", "onion3"]) as Line[];
/** The lines one server runs; onion3 runs on a network of three (startOxenssNetwork, startNodeNetwork). */
const SINGLE_LINES = LINES.filter((l) => l !== "onion3");
const ENC: EncType = "xchacha20";
/**
 * Who drives the timed closed-loop rounds: wrk (bench/wrk.ts) when it is installed, else this
 * process (undici). The generator shares the servers' cores, and this process's costs a third to
 * a half of what a server spends per request, so wrk measures the servers more than the client.
 */
const LOADGEN: "wrk" | "node" =
  process.env.BENCH_LOADGEN === "node"
    ? "node"
    : process.env.BENCH_LOADGEN === "wrk" || wrkInstalled()
      ? "wrk"
      : "node";
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 2);
/** New messages prepared per wrk store round: more than it can send, so none is sent twice. */
const WRK_STORES = Number(process.env.BENCH_WRK_STORES ?? 40_000);

const dir = mkdtempSync(join(tmpdir(), "session-oxenss-bench-"));
const accounts = Array.from({ length: 50 }, () => newAccount());
/** Each account's two latest message hashes (both servers get the same stores). */
const latest = new Map<string, string[]>();

function storeBodies(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const a = accounts[i % accounts.length]!;
    const data = randomBytes(1024);
    latest.set(
      a.sessionId,
      [...(latest.get(a.sessionId) ?? []), computeMessageHash(a.sessionId, 0, data)].slice(-2),
    );
    const params = { pubkey: a.sessionId, timestamp: Date.now(), ttl: 600_000, data: toBase64(data) };
    return JSON.stringify({ method: "store", params });
  });
}

function retrieveBodies(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const a = accounts[i % accounts.length]!;
    const params = { pubkey: a.sessionId, timestamp: Date.now(), last_hash: latest.get(a.sessionId)![0] };
    return JSON.stringify({ method: "retrieve", params: signed(a, "retrieve", params) });
  });
}

const infoPayload = utf8Encode(JSON.stringify({ method: "info", params: {} }));

/**
 * Onion requests with the keys to open each reply: to `s` itself in one layer, or, for a network,
 * along its first three members (guard → relay → destination, which answers `info`).
 */
function onionRequests(s: BenchServer | BenchNetwork, n: number) {
  if ("members" in s) {
    const [guard, relay, destination] = s.members.map((m) => ({
      ed25519: m.keys.ed25519.publicKey,
      x25519: m.keys.x25519.publicKey,
    }));
    return Array.from({ length: n }, () => {
      const built = buildOnionRequest(
        {
          payload: infoPayload,
          destination: { kind: "node", ...destination! },
          hops: [guard!, relay!],
          encType: ENC,
        },
        onionSealLayer,
      );
      return { request: built.request, keys: built.destinationKeys };
    });
  }
  return Array.from({ length: n }, () => {
    const sealed = onionSealLayer(
      encodeOnionLayer(infoPayload, FINAL_HOP_CONTROL),
      s.keys.x25519.publicKey,
      ENC,
    );
    const meta = { enc_type: ENC, ephemeral_key: Buffer.from(sealed.ephemeralPublicKey).toString("hex") };
    return { request: encodeOnionLayer(sealed.ciphertext, meta), keys: sealed.keys };
  });
}

const expect200 = (what: string, status: number, body: Buffer) => {
  if (status !== 200) throw new Error(`${what}: HTTP ${status} ${body.toString().slice(0, 200)}`);
};

type Line = "store" | "retrieve" | "onion" | "onion3";
const isOnion = (line: Line) => line === "onion" || line === "onion3";

/** Where each line's requests go, and as what (both load generators). */
const onionRoute = { path: "/onion_req/v2", contentType: "application/octet-stream" };
const rpcRoute = { path: "/storage_rpc/v1", contentType: "application/json" };
const routeOf = (line: Line) => (isOnion(line) ? onionRoute : rpcRoute);

/** One timed (or warm-up) run of `line` against `s`, with bodies built for it just before. */
async function runLine(
  s: BenchServer,
  line: Line,
  bodies: string[] | undefined,
  n: number,
  ratePerSecond?: number,
): Promise<LoadResult> {
  const measured = [s.cpu];
  const base = {
    url: s.url,
    concurrency: CONCURRENCY,
    measured,
    // Both servers answer `info` on the storage RPC route; the onion line's requests then reuse
    // the same connections (one pool per origin).
    warmUp: { ...rpcRoute, body: JSON.stringify({ method: "info", params: {} }) },
    ...(ratePerSecond ? { ratePerSecond } : {}),
  };
  if (isOnion(line)) {
    const onions = onionRequests(s, n);
    return runLoad({
      ...base,
      ...onionRoute,
      bodies: onions.map((o) => o.request),
      check(status, body, i) {
        expect200(`${s.name} onion`, status, body);
        const text = utf8Decode(new Uint8Array(body));
        const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, "base64") : body;
        const inner = decodeFinalHopResponse(
          utf8Decode(openHopReply(ENC, new Uint8Array(bytes), onions[i]!.keys)),
        );
        if (inner.status !== 200) throw new Error(`${s.name} onion: inner status ${inner.status}`);
      },
    });
  }
  return runLoad({
    ...base,
    ...rpcRoute,
    bodies: bodies!,
    check(status, body) {
      expect200(`${s.name} ${line}`, status, body);
      if (line === "retrieve") {
        const m = (JSON.parse(body.toString()) as { messages: unknown[] }).messages.length;
        if (m !== 1) throw new Error(`${s.name} retrieve: expected 1 message, got ${m}`);
      }
    },
  });
}

/** A timed closed-loop round of `line` from wrk: the same requests as runLine's, without its checks. */
async function runLineWrk(s: BenchServer, line: Line, bodies: string[] | undefined): Promise<LoadResult> {
  const r = await runWrk({
    url: s.url,
    ...routeOf(line),
    bodies: isOnion(line) ? onionRequests(s, TOTAL).map((o) => o.request) : bodies!,
    connections: CONCURRENCY,
    seconds: WRK_SECONDS,
    measured: [s.cpu],
  });
  // A store sent twice is a duplicate (cheaper than a new message): never counted as one.
  if (line === "store" && r.requests > bodies!.length)
    throw new Error(`wrk sent ${r.requests} stores from ${bodies!.length} bodies: raise BENCH_WRK_STORES`);
  return r;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
interface Figures {
  rps: number;
  p50: number;
  p99: number;
  /** p99 of every timed request of every round together (more samples than each round's). */
  p99All: number;
  cpuUs: number;
  /** The load generator's (this process's) CPU per request. */
  clientUs: number;
  /** Share of all cores the server and the load generator kept busy together. */
  busy: number;
}
const CORES = availableParallelism();
const figures = (rs: LoadResult[]): Figures => ({
  rps: median(rs.map((r) => r.requests / r.wallSeconds)),
  p50: median(rs.map((r) => r.p50)),
  p99: median(rs.map((r) => r.p99)),
  // wrk reports percentiles only: no pooled figure for its rounds.
  p99All: rs.some((r) => r.latencies.length === 0)
    ? Number.NaN
    : percentile(
        rs.flatMap((r) => Array.from(r.latencies)).sort((a, b) => a - b),
        0.99,
      ),
  cpuUs: median(rs.map((r) => (r.nodeCpuSeconds / r.requests) * 1e6)),
  clientUs: median(rs.map((r) => (r.clientCpuSeconds / r.requests) * 1e6)),
  busy: median(rs.map((r) => (r.nodeCpuSeconds + r.clientCpuSeconds) / r.wallSeconds / CORES)),
});
const show = (f: Figures) =>
  `${fmt(f.rps).trim()} req/s, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms${Number.isNaN(f.p99All) ? "" : ` (all rounds ${f.p99All.toFixed(1)})`}, ${f.cpuUs.toFixed(0)} µs CPU/req (load generator ${f.clientUs.toFixed(0)} µs/req, cores ${(f.busy * 100).toFixed(0)}% busy)`;

/**
 * The server CPU per request at which 1.2× `o`'s throughput fits in the cores `o`'s run kept
 * busy, with the load generator's cost as measured: when oxenss's run already fills the machine,
 * this — not the architecture — is what the throughput target asks of a server.
 */
const cpuBudgetFor = (o: Figures) => (o.busy * CORES * 1e6) / (1.2 * o.rps) - o.clientUs;

/**
 * Runs every line against every server, ROUNDS times, flipping the order each round; stores go
 * first in a round (retrieve reads what they stored). Returns the results per server and line.
 */
async function rounds(
  servers: BenchServer[],
  lines: Line[],
  rates?: Map<Line, number>,
  opts: { loadgen?: "node" | "wrk"; count?: number } = {},
): Promise<Map<string, Map<Line, LoadResult[]>>> {
  const loadgen = opts.loadgen ?? LOADGEN;
  const out = new Map(servers.map((s) => [s.name, new Map(lines.map((l) => [l, [] as LoadResult[]]))]));
  const bodiesFor = (line: Line, n: number) =>
    line === "store" ? storeBodies(n) : line === "retrieve" ? retrieveBodies(n) : undefined;
  // Each account's last two messages stored one at a time: concurrent stores of one account may
  // commit in any order (two cluster workers, oxenss's threads), and a retrieve after the older
  // of the two must find exactly one. Not timed.
  const settleLatest = async () => {
    const bodies = storeBodies(2 * accounts.length);
    for (const s of servers)
      await runLoad({
        url: s.url,
        concurrency: 1,
        measured: [s.cpu],
        ...rpcRoute,
        bodies,
        check: (status, body) => expect200(`${s.name} store`, status, body),
      });
  };
  // Warm-up: JIT, SQLite pages, TLS sessions; stores first so retrieves have messages.
  const rpc = lines.some((l) => !isOnion(l));
  for (const line of [...(rpc ? ["store"] : []), ...lines.filter((l) => l !== "store")] as Line[]) {
    const bodies = bodiesFor(line, WARM);
    for (const s of servers) await runLine(s, line, bodies, WARM);
    if (line === "store") await settleLatest();
  }
  for (let r = 0; r < (opts.count ?? ROUNDS); r++) {
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    for (const line of lines) {
      // The same bodies to each server (retrieve signatures are fresh per round).
      const byWrk = loadgen === "wrk" && !rates;
      const bodies = bodiesFor(line, byWrk && line === "store" ? WRK_STORES : TOTAL);
      for (const s of order)
        out
          .get(s.name)!
          .get(line)!
          .push(
            byWrk
              ? await runLineWrk(s, line, bodies)
              : await runLine(s, line, bodies, TOTAL, rates?.get(line)),
          );
      if (line === "store") await settleLatest();
    }
  }
  return out;
}

const load = () => loadavg()[0]!.toFixed(1);
const started = new Date().toISOString().slice(0, 16);
console.log(
  `apps/node vs oxenss: HTTPS on 127.0.0.1, ${CONCURRENCY} connections, 1 KiB messages, ${ROUNDS} alternating rounds of ${LOADGEN === "wrk" ? `${WRK_SECONDS} s from wrk` : `${TOTAL} requests`} per line, medians; ${availableParallelism()} cores, load average ${load()} at start (${started} UTC)`,
);
if (LOADGEN === "node" && process.env.BENCH_LOADGEN !== "node")
  console.log(
    "wrk not found (apt-get install wrk): this process's generator drives the rounds, on the servers' cores",
  );

const names: Record<Line, string> = {
  store: "store (namespace 0)",
  retrieve: "signed retrieve, 1 message",
  onion: "onion /onion_req/v2, 1 layer to the server itself (info)",
  onion3: "onion /onion_req/v2, 3-hop path over three servers (guard → relay → destination, info)",
};

/** The target line for `line`: our figures against oxenss's from the same rounds. */
function report(line: Line, n: Figures, o: Figures) {
  const tput = n.rps / o.rps;
  const p99 = n.p99 / o.p99;
  console.log(
    `${names[line]}: node ${show(n)} | oxenss ${show(o)} | node/oxenss: throughput ${tput.toFixed(2)}× (target ≥ 1.2×${tput >= 1.2 ? ", met" : ""}), p99 ${p99.toFixed(2)}× (target ≤ 1${p99 <= 1 ? ", met" : ""}${Number.isNaN(n.p99All) ? "" : `; all rounds' requests ${(n.p99All / o.p99All).toFixed(2)}×`}), CPU/req ${(n.cpuUs / o.cpuUs).toFixed(2)}× (1.2× in the cores oxenss's run used needs ≤ ${cpuBudgetFor(o).toFixed(0)} µs/req)`,
  );
}

if (!OXENSS_BIN) {
  console.log(
    "side by side with oxenss: skipped (set OXENSS_BIN to an oxen-storage built with ../shared/peers/oxenss/BUILD.sh)",
  );
} else if (SINGLE_LINES.length > 0) {
  const oxenss = await startOxenss({
    bin: OXENSS_BIN,
    dir: process.env.OXENSS_DIR ?? join(tmpdir(), "session-oxenss-bench-oxenss"),
    ...(process.env.OXENSS_MOCK_OXEND ? { mockOxend: process.env.OXENSS_MOCK_OXEND } : {}),
  });
  const node = await startNodeMain({ dir: join(dir, "node") });
  try {
    const res = await rounds([oxenss, node], SINGLE_LINES);
    for (const line of SINGLE_LINES)
      report(line, figures(res.get(node.name)!.get(line)!), figures(res.get(oxenss.name)!.get(line)!));
    // The same offered load for both: 80% of oxenss's throughput, paced (harness.ts). In
    // the closed loop the faster server also drives the load generator harder on the same cores,
    // which lengthens its own tail; at one rate the latencies compare like for like. An extra
    // figure beside the target's, not the target's own measure.
    if (process.env.BENCH_PACED !== "0") {
      const paced = SINGLE_LINES.filter((l) => !isOnion(l));
      // The rate comes from the generator that paces (this process's): 80% of what wrk drew from
      // oxenss is more than this generator, at ~100 µs of CPU per request, can offer on the same
      // cores, and every request would then count the generator's own backlog.
      const calibration =
        LOADGEN === "wrk" ? await rounds([oxenss], paced, undefined, { loadgen: "node", count: 1 }) : res;
      const rates = new Map(
        paced.map((l) => [l, Math.round(0.8 * figures(calibration.get(oxenss.name)!.get(l)!).rps)] as const),
      );
      const at = await rounds([oxenss, node], paced, rates);
      for (const line of paced) {
        const o = figures(at.get(oxenss.name)!.get(line)!);
        const n = figures(at.get(node.name)!.get(line)!);
        console.log(
          `${names[line]} at ${rates.get(line)} req/s for both (80% of oxenss's): node p50 ${n.p50.toFixed(1)} ms, p99 ${n.p99.toFixed(1)} ms, ${n.cpuUs.toFixed(0)} µs CPU/req | oxenss p50 ${o.p50.toFixed(1)} ms, p99 ${o.p99.toFixed(1)} ms, ${o.cpuUs.toFixed(0)} µs CPU/req | node/oxenss p99 ${(n.p99 / o.p99).toFixed(2)}×`,
        );
      }
    }
  } finally {
    await node.stop();
    await oxenss.stop();
  }
}

// The 3-hop line: three oxenss relaying over OxenMQ against three of our nodes relaying over their
// node links, all on this machine, requests entering at the first of each.
if (OXENSS_BIN && LINES.includes("onion3")) {
  const oxenss = await startOxenssNetwork({
    bin: OXENSS_BIN,
    dir: join(process.env.OXENSS_DIR ?? join(tmpdir(), "session-oxenss-bench-oxenss"), "network"),
    count: 3,
    ...(process.env.OXENSS_MOCK_OXEND ? { mockOxend: process.env.OXENSS_MOCK_OXEND } : {}),
  });
  const node = await startNodeNetwork({
    dir: join(dir, "network"),
    count: 3,
    workers: Number(process.env.BENCH_NETWORK_WORKERS ?? 1),
  });
  try {
    const res = await rounds([oxenss, node], ["onion3"]);
    report(
      "onion3",
      figures(res.get(node.name)!.get("onion3")!),
      figures(res.get(oxenss.name)!.get("onion3")!),
    );
  } catch (err) {
    // The recipe's own mock-oxend lists only its node: the first oxenss then finds no next node.
    console.log(
      `${names.onion3}: failed (${String(err).slice(0, 300)}). The oxenss of this line learn of each other from a mock-oxend built from bench/oxenss/mock-oxend.cpp (bench/oxenss/build-mock-oxend.sh), given as OXENSS_MOCK_OXEND.`,
    );
  } finally {
    await node.stop();
    await oxenss.stop();
  }
}

// A/B of two nodes, alternating like the lines above: BENCH_AB_MAIN=<other checkout>/apps/node/src/main.ts
// (or this one's), BENCH_AB_ENV="NAME=value …" the other node's own settings, BENCH_AB_FLAGS its
// own node flags (after the usual ones).
if (process.env.BENCH_AB_MAIN) {
  const env = Object.fromEntries(
    (process.env.BENCH_AB_ENV ?? "")
      .split(" ")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  const a = await startNodeMain({ dir: join(dir, "a"), name: "this build" });
  const b = await startNodeMain({
    dir: join(dir, "b"),
    main: process.env.BENCH_AB_MAIN,
    name: "other build",
    env,
    nodeFlags: process.env.BENCH_AB_FLAGS?.split(" ").filter(Boolean) ?? [],
  });
  try {
    const res = await rounds([a, b], LINES);
    for (const line of LINES) {
      const x = figures(res.get(a.name)!.get(line)!);
      const y = figures(res.get(b.name)!.get(line)!);
      console.log(
        `A/B, ${names[line]}: this build ${show(x)} | other build ${show(y)} → throughput ${(x.rps / y.rps).toFixed(2)}×, CPU/req ${(x.cpuUs / y.cpuUs).toFixed(2)}×`,
      );
    }
  } finally {
    await a.stop();
    await b.stop();
  }
}

// Scaling: the node alone, one worker against WORKERS (BENCH_SCALING=0 leaves it out).
if (process.env.BENCH_SCALING !== "0") {
  const one = await startNodeMain({ dir: join(dir, "w1"), workers: 1 });
  const many = await startNodeMain({ dir: join(dir, `w${WORKERS}`), workers: WORKERS });
  try {
    const processes = processTree(many.pid).length;
    const res = await rounds([one, many], ["store", "retrieve"]);
    for (const line of ["store", "retrieve"] as Line[]) {
      const a = figures(res.get(one.name)!.get(line)!);
      const b = figures(res.get(many.name)!.get(line)!);
      console.log(
        `scaling, ${names[line]}: 1 worker ${show(a)} | ${WORKERS} workers ${show(b)} → ${(b.rps / a.rps).toFixed(2)}× throughput${processes < 2 ? " (SESSION_NODE_WORKERS not honoured by this build: one process)" : ` (${processes} processes)`}`,
      );
    }
  } finally {
    await one.stop();
    await many.stop();
  }
}
console.log(`load average ${load()} at the end`);
rmSync(dir, { recursive: true, force: true });
