import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSeed, keypairFromSeed, toHex } from "@session/crypto";
import { writeRegistryFile } from "@session/node";

const nodeMain = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "apps",
  "node",
  "src",
  "main.ts",
);

export interface ProcessNetOptions {
  /** Storage nodes to run, each its own process (default 12). */
  nodes?: number;
  /** Where each node keeps its keys and database (`node-NN/`), and the registry file. */
  dataDir: string;
  /** Extra environment for every node process (e.g. `LOG_LEVEL`). */
  env?: Record<string, string>;
}

/** What clients need to reach a node (the registry record). */
export interface ProcessNodeInfo {
  pubkey_ed25519: string;
  pubkey_x25519: string;
  public_ip: string;
  storage_port: number;
}

export interface ProcessNode {
  readonly index: number;
  readonly url: string;
  readonly info: ProcessNodeInfo;
  /** True between a successful `start()` and the process's exit. */
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL: no goodbye, no flush) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again (same keys, port and database) and waits for it to answer. */
  start(): Promise<void>;
}

export interface ProcessNet {
  nodes: ProcessNode[];
  /** Every node's URL: clients bootstrap from whichever answers. */
  seedUrls: string[];
  /** Stops every node still running (SIGTERM). */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? res(addr.port) : rej(new Error("no port"))));
    });
  });
}

/**
 * Storage nodes as separate OS processes (apps/node's own main), all listed in one static
 * registry file, for tests that kill nodes for real (SIGKILL) and start them again. Each node
 * keeps its data dir, keys and port across restarts, as a real operator's node does, and stays in
 * the registry while it is down (a crashed node is not deregistered).
 */
export async function startProcessNet(o: ProcessNetOptions): Promise<ProcessNet> {
  const n = o.nodes ?? 12;
  mkdirSync(o.dataDir, { recursive: true });
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const specs: { dir: string; info: ProcessNodeInfo }[] = [];
  for (let i = 0; i < n; i++) {
    const dir = join(o.dataDir, `node-${String(i).padStart(2, "0")}`);
    mkdirSync(dir, { recursive: true });
    const seed = generateSeed();
    // The node reads this seed on start (apps/node keys.ts), so its keys are known beforehand.
    writeFileSync(join(dir, "node.seed"), `${toHex(seed)}\n`, { mode: 0o600 });
    const keys = keypairFromSeed(seed);
    specs.push({
      dir,
      info: {
        pubkey_ed25519: toHex(keys.ed25519.publicKey),
        pubkey_x25519: toHex(keys.x25519.publicKey),
        public_ip: "127.0.0.1",
        storage_port: await freePort(),
      },
    });
  }
  const registryFile = join(o.dataDir, "registry.json");
  await writeRegistryFile(
    registryFile,
    specs.map((s) => s.info),
  );

  const nodes = specs.map(
    (spec, index) => new NodeProcess(index, spec.dir, spec.info, tsx, registryFile, o.env ?? {}),
  );
  try {
    await Promise.all(nodes.map((x) => x.start()));
  } catch (err) {
    await Promise.all(nodes.map((x) => x.kill("SIGKILL")));
    throw err;
  }
  return {
    nodes,
    seedUrls: nodes.map((x) => x.url),
    stop: async () => {
      await Promise.all(nodes.map((x) => x.kill("SIGTERM")));
    },
  };
}

class NodeProcess implements ProcessNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly url: string;

  constructor(
    readonly index: number,
    private readonly dir: string,
    readonly info: ProcessNodeInfo,
    private readonly tsx: string,
    private readonly registryFile: string,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${info.storage_port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const child = spawn(process.execPath, ["--import", this.tsx, nodeMain], {
      env: {
        PATH: process.env.PATH ?? "",
        SESSION_NODE_DATA_DIR: this.dir,
        SESSION_NODE_HTTP: "1",
        HOST: "127.0.0.1",
        PORT: String(this.info.storage_port),
        PUBLIC_IP: "127.0.0.1",
        REGISTRY_FILE: this.registryFile,
        REGISTRY_POLL_MS: "2000",
        RATE_LIMIT_PER_SECOND: "5000",
        RATE_LIMIT_BURST: "10000",
        LOG_LEVEL: "warn",
        // Twelve nodes on a loopback devnet: one process each, not one per core each.
        SESSION_NODE_WORKERS: "1",
        ...this.env,
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    this.child = child;
    this.exited = new Promise((res) => child.once("exit", () => res()));
    const until = Date.now() + 180_000;
    while (Date.now() < until) {
      if (!this.running) throw new Error(`node ${this.index} exited during start`);
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`node ${this.index} did not answer /health within 180 s`);
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    await this.exited;
  }
}
