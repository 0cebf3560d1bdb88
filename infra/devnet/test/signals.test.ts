import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { processAlive } from "@session/service-kit/testing";
import { describe, expect, it } from "vitest";

// `pnpm start` and the `session` CLI stop everything they started on SIGINT/SIGTERM, exit 0.
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const devnetMain = join(root, "infra", "devnet", "src", "main.ts");
const sessionBin = join(root, "packages", "client", "bin", "session.mjs");

/** Every live process whose parent chain leads to `pid` (from /proc). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {} // exited while listing
  }
  const out: number[] = [];
  for (const p of parentOf.keys()) {
    for (let q = parentOf.get(p); q !== undefined && q > 1; q = parentOf.get(q)) {
      if (q === pid) {
        out.push(p);
        break;
      }
    }
  }
  return out;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("exit", (code, signal) => r({ code, signal })),
  );
  const waitFor = async (text: string, ms = 120_000) => {
    const until = Date.now() + ms;
    while (!out.includes(text)) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`no "${text}" in:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

async function allGone(pids: number[]) {
  const until = Date.now() + 10_000;
  while (pids.some(processAlive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  expect(pids.filter(processAlive)).toEqual([]);
}

const startDevnet = (wrapper?: "sh") => {
  const dataDir = mkdtempSync(join(tmpdir(), "devnet-sig-"));
  const env = { DEVNET_NODES: "2", DEVNET_DATA_DIR: dataDir };
  const node = [process.execPath, "--import", "tsx", devnetMain];
  // `sh -c` stands in for pnpm: a parent that dies on SIGTERM without passing it on.
  return wrapper === "sh"
    ? run("sh", ["-c", `${node.map((a) => `'${a}'`).join(" ")}; exit 0`], env)
    : run(node[0]!, node.slice(1), env);
};

describe("stopping on signals", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`the devnet stops every service it started and exits 0 on ${signal}`, async () => {
      const d = startDevnet();
      await d.waitFor("Press Ctrl-C");
      const started = descendants(d.child.pid!);
      expect(started.length).toBeGreaterThanOrEqual(2); // file server and push server processes
      d.child.kill(signal);
      expect(await d.exited).toEqual({ code: 0, signal: null });
      await allGone(started);
    }, 180_000);
  }

  it("Ctrl-C under pnpm (SIGINT twice at once: the terminal's and pnpm's copy) is one stop, exit 0", async () => {
    const d = startDevnet();
    await d.waitFor("Press Ctrl-C");
    const started = descendants(d.child.pid!);
    d.child.kill("SIGINT");
    // pnpm's copy arrives just after the terminal's, once the stop has begun.
    await d.waitFor("Stopping the devnet");
    d.child.kill("SIGINT");
    expect(await d.exited).toEqual({ code: 0, signal: null });
    await allGone(started);
  }, 180_000);

  it("the devnet stops when its parent (pnpm) dies on SIGTERM without passing it on", async () => {
    const d = startDevnet("sh");
    await d.waitFor("Press Ctrl-C");
    const started = descendants(d.child.pid!);
    expect(started.length).toBeGreaterThanOrEqual(3); // devnet, file server, push server
    d.child.kill("SIGTERM");
    await d.exited;
    await allGone(started);
  }, 180_000);

  it("`session listen` exits 0 on SIGTERM and SIGINT, leaving no process behind", async () => {
    const d = startDevnet();
    await d.waitFor("Press Ctrl-C");
    const seed = /^\s*seed\s+(\S+)/m.exec(d.output())![1]!;
    const dataDir = mkdtempSync(join(tmpdir(), "cli-sig-"));
    const id = run(process.execPath, [sessionBin, "id", "new", "--data-dir", dataDir]);
    expect((await id.exited).code).toBe(0);
    try {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        const l = run(process.execPath, [sessionBin, "listen", "--network", seed, "--data-dir", dataDir]);
        await l.waitFor("Listening as");
        const pids = [l.child.pid!, ...descendants(l.child.pid!)];
        l.child.kill(signal);
        expect(await l.exited).toEqual({ code: 0, signal: null });
        await allGone(pids);
      }
    } finally {
      d.child.kill("SIGTERM");
      await d.exited;
    }
  }, 240_000);
});
