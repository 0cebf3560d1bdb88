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
 * (onion requests are encrypted to them).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { type KeyPair, keypairFromSeed, toHex } from "@session/crypto";
import { Agent, request } from "undici";
import { writeRegistryFile } from "../src/swarm/membership.ts";
import type { CpuMeter } from "./harness.ts";
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

/**
 * oxenss + mock-oxend. `dir` keeps oxenss's TLS files and Diffie-Hellman parameters between runs
 * (the first start in an empty dir spends ~1 min generating dh.pem); the database starts empty.
 */
export async function startOxenss(opts: {
  bin: string;
  mockOxend?: string;
  dir: string;
}): Promise<BenchServer> {
  const mock = opts.mockOxend ?? join(dirname(opts.bin), "../../mock-oxend/mock-oxend");
  if (!existsSync(mock)) throw new Error(`mock-oxend not found at ${mock} (set OXENSS_MOCK_OXEND)`);
  const data = join(opts.dir, "data");
  mkdirSync(data, { recursive: true });
  for (const f of ["storage.db", "storage.db-wal", "storage.db-shm"]) rmSync(join(data, f), { force: true });
  const seed = randomBytes(32);
  const seedFile = join(opts.dir, "sn-seed.bin");
  writeFileSync(seedFile, seed);
  const [httpsPort, omqPort] = [await freePort(), await freePort()];
  const sock = `ipc://${join(opts.dir, "oxend.sock")}`;
  const oxend = spawn(mock, [sock, "127.0.0.1", String(httpsPort), String(omqPort), seedFile], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await new Promise((r) => setTimeout(r, 500));
  const server = spawn(
    opts.bin,
    [
      ...["--data-dir", data, "--oxend-rpc", sock, "--bind-ip", "0.0.0.0"],
      ...["--https-port", String(httpsPort), "--omq-port", String(omqPort), "--log-level", "warning"],
    ],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, OXENSS_NO_RATE_LIMIT: "1" } },
  );
  const stop = stopper([server, oxend]);
  const url = `https://127.0.0.1:${httpsPort}`;
  try {
    // 503 "Service node is not ready" until the first block notification after the (unreachable)
    // bootstrap seeds time out.
    await waitFor(
      `${url}/storage_rpc/v1`,
      "oxenss",
      server,
      300_000,
      "POST",
      '{"method":"info","params":{}}',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const k = keypairFromSeed(new Uint8Array(seed));
  return { name: "oxenss", url, pid: server.pid!, keys: k, cpu: processTreeMeter(server.pid!), stop };
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
}): Promise<BenchServer> {
  rmSync(opts.dir, { recursive: true, force: true });
  const dataDir = join(opts.dir, "data");
  mkdirSync(dataDir, { recursive: true });
  // The node keeps TLS files across runs of the same dir; reuse one generated cert if we have it.
  const seed = randomBytes(32);
  writeFileSync(join(dataDir, "node.seed"), `${seed.toString("hex")}\n`, { mode: 0o600 });
  for (const f of ["tls.key", "tls.crt"]) {
    const cached = join(dirname(opts.dir), f);
    if (existsSync(cached)) copyFileSync(cached, join(dataDir, f));
  }
  const k = keypairFromSeed(new Uint8Array(seed));
  const port = await freePort();
  const registry = join(opts.dir, "registry.json");
  await writeRegistryFile(registry, [
    {
      pubkey_ed25519: toHex(k.ed25519.publicKey),
      pubkey_x25519: toHex(k.x25519.publicKey),
      public_ip: "127.0.0.1",
      storage_port: port,
    },
  ]);
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
