/*
 * The two storage servers of the side-by-side bench (bench/oxenss.bench.ts), each started as its
 * own process tree on 127.0.0.1 over HTTPS:
 *
 *  - oxenss: the real oxen-storage-server binary (`OXENSS_BIN`, built with the recipe in
 *    ../shared/peers/oxenss/) with its stand-in oxend, `mock-oxend`, as that recipe's
 *    run/start.sh starts them: mock-oxend answers oxenss's SN-key, service-node-list and block
 *    calls on an ipc socket and reports one funded node (ours, swarm 0), so every account maps
 *    to it. OXENSS_NO_RATE_LIMIT=1 turns off oxenss's 300 req/s-per-IP limiter (an opt-in
 *    patch of that recipe; without it the bench sees 429s and says so).
 *  - our node: its main entry (src/main.ts) in a child process, with a static registry naming
 *    only itself, the per-address rate limit raised out of the way (the load is one client
 *    address), and SESSION_NODE_WORKERS when given.
 *
 * Both get their node keys from a seed written here first, so the bench knows their public keys
 * (onion requests are encrypted to them). For the 3-hop line, a network of each: several oxenss
 * whose mock-oxends list them all (startOxenssNetwork), and several of our nodes sharing one
 * registry (startNodeNetwork).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { type KeyPair, keypairFromSeed, toHex } from "@session/crypto";
import { Agent, request } from "undici";
import { writeRegistryFile } from "../src/swarm/membership.ts";
import { type CpuMeter, cpuSecondsOf } from "./harness.ts";
import { processTreeMeter } from "./proc-cpu.ts";

export interface BenchServer {
  name: string;
  url: string;
  pid: number;
  keys: { ed25519: KeyPair; x25519: KeyPair };
  cpu: CpuMeter;
  stop(): Promise<void>;
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** A free TCP port on 127.0.0.1 (bound and released; good enough on a bench machine). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls until `ready(status)` holds for POST `path` (or GET), or throws after `timeoutMs`. */
async function waitFor(
  url: string,
  what: string,
  child: ChildProcess,
  timeoutMs: number,
  method: "GET" | "POST",
  body?: string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before it was ready`);
    try {
      const res = await request(url, { method, body, dispatcher: insecure });
      const text = await res.body.text();
      if (res.statusCode === 200) return;
      last = `${res.statusCode} ${text.slice(0, 120)}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s (last: ${last})`);
}

function stopper(children: ChildProcess[]): () => Promise<void> {
  return async () => {
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise<void>((r) => c.once("exit", () => r()));
      c.kill("SIGTERM");
      const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
}

interface OxenssProcess {
  url: string;
  server: ChildProcess;
  stop: () => Promise<void>;
}

/** One oxenss and its mock-oxend, in `dir` (TLS files and dh.pem kept between runs; the database starts empty). */
function spawnOxenss(opts: {
  bin: string;
  mock: string;
  dir: string;
  seed: Buffer;
  httpsPort: number;
  omqPort: number;
  /** The mock's MOCK_OXEND_NETWORK file (a network of several oxenss); default: this node alone. */
  network?: string;
}): OxenssProcess {
  const data = join(opts.dir, "data");
  mkdirSync(data, { recursive: true });
  for (const f of ["storage.db", "storage.db-wal", "storage.db-shm"]) rmSync(join(data, f), { force: true });
  const seedFile = join(opts.dir, "sn-seed.bin");
  writeFileSync(seedFile, opts.seed);
  const sock = `ipc://${join(opts.dir, "oxend.sock")}`;
  const ports = [String(opts.httpsPort), String(opts.omqPort)];
  const oxend = spawn(opts.mock, [sock, "127.0.0.1", ...ports, seedFile], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...(opts.network ? { MOCK_OXEND_NETWORK: opts.network } : {}) },
  });
  const server = spawn(
    opts.bin,
    [
      ...["--data-dir", data, "--oxend-rpc", sock, "--bind-ip", "0.0.0.0"],
      ...["--https-port", ports[0]!, "--omq-port", ports[1]!, "--log-level", "warning"],
    ],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, OXENSS_NO_RATE_LIMIT: "1" } },
  );
  return { url: `https://127.0.0.1:${opts.httpsPort}`, server, stop: stopper([server, oxend]) };
}

/** Waits for an oxenss to answer its storage RPC (stopping it and throwing if it does not). */
async function oxenssReady(o: OxenssProcess, what: string): Promise<void> {
  try {
    // 503 "Service node is not ready" until the first block notification after the (unreachable)
    // bootstrap seeds time out.
    await waitFor(
      `${o.url}/storage_rpc/v1`,
      what,
      o.server,
      300_000,
      "POST",
      '{"method":"info","params":{}}',
    );
  } catch (err) {
    await o.stop();
    throw err;
  }
}

const mockOxendFor = (bin: string, mockOxend?: string) => {
  const mock = mockOxend ?? join(dirname(bin), "../../mock-oxend/mock-oxend");
  if (!existsSync(mock)) throw new Error(`mock-oxend not found at ${mock} (set OXENSS_MOCK_OXEND)`);
  return mock;
};

/**
 * oxenss + mock-oxend. `dir` keeps oxenss's TLS files and Diffie-Hellman parameters between runs
 * (the first start in an empty dir spends ~1 min generating dh.pem); the database starts empty.
 */
export async function startOxenss(opts: {
  bin: string;
  mockOxend?: string;
  dir: string;
}): Promise<BenchServer> {
  const seed = randomBytes(32);
  const o = spawnOxenss({
    bin: opts.bin,
    mock: mockOxendFor(opts.bin, opts.mockOxend),
    dir: opts.dir,
    seed,
    httpsPort: await freePort(),
    omqPort: await freePort(),
  });
  await oxenssReady(o, "oxenss");
  const pid = o.server.pid!;
  const keys = keypairFromSeed(new Uint8Array(seed));
  return { name: "oxenss", url: o.url, pid, keys, cpu: processTreeMeter(pid), stop: o.stop };
}

/** Several servers run as one network: the first one's URL, every member's CPU. */
export interface BenchNetwork extends BenchServer {
  members: BenchServer[];
}

/** A server on 127.0.0.1 as a node list names it (our registry file, the mock's service node list). */
const listed = (keys: { ed25519: KeyPair; x25519: KeyPair }, port: number) => ({
  pubkey_ed25519: toHex(keys.ed25519.publicKey),
  pubkey_x25519: toHex(keys.x25519.publicKey),
  public_ip: "127.0.0.1",
  storage_port: port,
});

/** Keys and ports for `count` servers that will know each other. */
async function networkMembers(count: number) {
  const out: { seed: Buffer; keys: { ed25519: KeyPair; x25519: KeyPair }; https: number; omq: number }[] = [];
  for (let i = 0; i < count; i++) {
    const seed = randomBytes(32);
    out.push({
      seed,
      keys: keypairFromSeed(new Uint8Array(seed)),
      https: await freePort(),
      omq: await freePort(),
    });
  }
  return out;
}

function asNetwork(name: string, members: BenchServer[]): BenchNetwork {
  const first = members[0]!;
  return {
    ...first,
    name,
    members,
    cpu: {
      cpuSeconds: () => cpuSecondsOf(members.map((m) => m.cpu)),
    },
    stop: async () => {
      await Promise.all(members.map((m) => m.stop()));
    },
  };
}

/**
 * `count` oxenss, each with its own mock-oxend (bench/oxenss/mock-oxend.cpp: the recipe's stand-in
 * plus MOCK_OXEND_NETWORK), all reporting the same service node list, so that each relays onion
 * requests to the others over OxenMQ as on the real network. One swarm.
 */
export async function startOxenssNetwork(opts: {
  bin: string;
  mockOxend?: string;
  dir: string;
  count: number;
}): Promise<BenchNetwork> {
  const mock = mockOxendFor(opts.bin, opts.mockOxend);
  const nodes = await networkMembers(opts.count);
  mkdirSync(opts.dir, { recursive: true });
  const network = join(opts.dir, "network.json");
  writeFileSync(
    network,
    JSON.stringify(
      nodes.map((n) => ({
        ...listed(n.keys, n.https),
        storage_lmq_port: n.omq,
        swarm_id: 0,
      })),
    ),
  );
  const procs = nodes.map((n, i) =>
    spawnOxenss({
      bin: opts.bin,
      mock,
      dir: join(opts.dir, `sn${i}`),
      seed: n.seed,
      httpsPort: n.https,
      omqPort: n.omq,
      network,
    }),
  );
  const members = procs.map((o, i) => ({
    name: `oxenss ${i}`,
    url: o.url,
    pid: o.server.pid!,
    keys: nodes[i]!.keys,
    cpu: processTreeMeter(o.server.pid!),
    stop: o.stop,
  }));
  try {
    for (const [i, o] of procs.entries()) await oxenssReady(o, `oxenss ${i}`);
  } catch (err) {
    await Promise.all(procs.map((o) => o.stop()));
    throw err;
  }
  return asNetwork(`oxenss ×${opts.count}`, members);
}

/** Our node from its main entry (`node --import tsx src/main.ts`), HTTPS on 127.0.0.1. */
export async function startNodeMain(opts: {
  dir: string;
  workers?: number;
  /** Another checkout's `apps/node/src/main.ts` (an A/B of two builds); default this one's. */
  main?: string;
  name?: string;
  /** Extra environment for this node only. */
  env?: Record<string, string>;
  /** Node flags after the usual ones (a later V8 flag wins: `--max-semi-space-size=16`, say). */
  nodeFlags?: string[];
  /** A network's member (startNodeNetwork): its seed, port and the registry naming them all. */
  member?: { seed: Buffer; port: number; registry: string };
}): Promise<BenchServer> {
  rmSync(opts.dir, { recursive: true, force: true });
  const dataDir = join(opts.dir, "data");
  mkdirSync(dataDir, { recursive: true });
  // The node keeps TLS files across runs of the same dir; reuse one generated cert if we have it.
  const seed = opts.member?.seed ?? randomBytes(32);
  writeFileSync(join(dataDir, "node.seed"), `${seed.toString("hex")}\n`, { mode: 0o600 });
  for (const f of ["tls.key", "tls.crt"]) {
    const cached = join(dirname(opts.dir), f);
    if (existsSync(cached)) copyFileSync(cached, join(dataDir, f));
  }
  const k = keypairFromSeed(new Uint8Array(seed));
  const port = opts.member?.port ?? (await freePort());
  const registry = opts.member?.registry ?? join(opts.dir, "registry.json");
  if (!opts.member) await writeRegistryFile(registry, [listed(k, port)]);
  const main = opts.main ?? new URL("../src/main.ts", import.meta.url).pathname;
  // As `pnpm start` and the images run it (the young generation's size: README "Young generation").
  const child = spawn(
    process.execPath,
    [
      "--max-semi-space-size=64",
      // Extra node flags for a look inside (e.g. --cpu-prof --cpu-prof-dir=<dir>).
      ...(process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
      ...(opts.nodeFlags ?? []),
      "--import",
      "tsx",
      main,
    ],
    {
      cwd: dirname(dirname(main)),
      stdio: ["ignore", process.env.BENCH_NODE_STDOUT ? "inherit" : "ignore", "inherit"],
      env: {
        ...process.env,
        SESSION_NODE_DATA_DIR: dataDir,
        HOST: "127.0.0.1",
        PORT: String(port),
        REGISTRY_FILE: registry,
        RATE_LIMIT_PER_SECOND: "1000000000",
        RATE_LIMIT_BURST: "1000000000",
        LOG_LEVEL: "warn",
        ...(opts.workers ? { SESSION_NODE_WORKERS: String(opts.workers) } : {}),
        ...opts.env,
      },
    },
  );
  const stop = stopper([child]);
  const url = `https://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/health`, "node", child, 120_000, "GET");
  } catch (err) {
    await stop();
    throw err;
  }
  for (const f of ["tls.key", "tls.crt"]) {
    const cached = join(dirname(opts.dir), f);
    if (!existsSync(cached)) copyFileSync(join(dataDir, f), cached);
  }
  const name = opts.name ?? (opts.workers ? `node (${opts.workers} workers)` : "node");
  return { name, url, pid: child.pid!, keys: k, cpu: processTreeMeter(child.pid!), stop };
}

/**
 * `count` of our nodes from their main entries, one registry naming them all (so each relays onion
 * requests to the others over its node links), each at SESSION_NODE_WORKERS=1 as a host running
 * several nodes sets it (README "Using every core").
 */
export async function startNodeNetwork(opts: {
  dir: string;
  count: number;
  /** SESSION_NODE_WORKERS of each (default 1). */
  workers?: number;
}): Promise<BenchNetwork> {
  mkdirSync(opts.dir, { recursive: true });
  const nodes = await networkMembers(opts.count);
  const registry = join(opts.dir, "registry.json");
  await writeRegistryFile(
    registry,
    nodes.map((n) => listed(n.keys, n.https)),
  );
  const members: BenchServer[] = [];
  try {
    for (const [i, n] of nodes.entries())
      members.push(
        await startNodeMain({
          dir: join(opts.dir, `node${i}`),
          workers: opts.workers ?? 1,
          name: `node ${i}`,
          member: { seed: n.seed, port: n.https, registry },
        }),
      );
  } catch (err) {
    await Promise.all(members.map((m) => m.stop()));
    throw err;
  }
  return asNetwork(`node ×${opts.count}`, members);
}
