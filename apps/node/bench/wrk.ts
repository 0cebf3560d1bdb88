/*
 * The side-by-side lines driven by wrk (Debian's `wrk`, C, one thread) instead of this process's
 * undici load generator: the same requests, connections and servers, but a client that spends
 * ~5× less CPU per request on the cores the servers share (bench/oxenss.bench.ts, BENCH_LOADGEN).
 * bench/wrk-line.lua sends the prepared bodies in turn on every connection (keep-alive) for a
 * fixed time and prints its counts and latency percentiles.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CpuMeter, cpuSecondsOf, type LoadResult } from "./harness.ts";

const SCRIPT = new URL("./wrk-line.lua", import.meta.url).pathname;

interface WrkReport {
  requests: number;
  durationUs: number;
  status: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Bodies as the script reads them: `<length>\n<bytes>` each. */
function bodiesFile(bodies: readonly (string | Uint8Array)[]): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "session-wrk-"));
  const parts: Buffer[] = [];
  for (const b of bodies) {
    const bytes = typeof b === "string" ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    parts.push(Buffer.from(`${bytes.length}\n`), bytes);
  }
  const path = join(dir, "bodies");
  writeFileSync(path, Buffer.concat(parts));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Whether `wrk` runs here (Debian's package: `apt-get install wrk`). */
export function wrkInstalled(): boolean {
  return spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
}

/**
 * `seconds` of closed-loop load from wrk (`connections` keep-alive connections, one thread), the
 * bodies sent in turn (from the first again after the last). Throws on any failed request. No
 * per-request latencies: wrk reports percentiles (`latencies` is empty).
 */
export async function runWrk(opts: {
  url: string;
  path: string;
  bodies: readonly (string | Uint8Array)[];
  connections: number;
  contentType: string;
  seconds: number;
  measured: readonly CpuMeter[];
}): Promise<LoadResult & { p999: number }> {
  const file = bodiesFile(opts.bodies);
  try {
    const node0 = await cpuSecondsOf(opts.measured);
    // `times` prints the CPU the shell's children (wrk) used: its second line.
    const cmd = `wrk -t1 -c${opts.connections} -d${opts.seconds}s --timeout 10s -s "$0" "$1" -- "$2" "$3" "$4"; s=$?; times; exit $s`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn("bash", ["-c", cmd, SCRIPT, opts.url, opts.path, opts.contentType, file.path], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let text = "";
      child.stdout.on("data", (c: Buffer) => {
        text += c.toString();
      });
      child.on("error", reject);
      child.on("exit", (code) =>
        code === 0
          ? resolve(text)
          : reject(new Error(`wrk exited ${code} (is Debian's wrk installed?): ${text.slice(-500)}`)),
      );
    });
    const nodeCpuSeconds = (await cpuSecondsOf(opts.measured)) - node0;
    const line = out.split("\n").find((l) => l.startsWith("WRK "));
    if (!line) throw new Error(`wrk printed no report: ${out.slice(-500)}`);
    const r = JSON.parse(line.slice(4)) as WrkReport;
    const failed = r.status + r.connect + r.read + r.write + r.timeout;
    if (failed > 0) throw new Error(`wrk: ${failed} failed requests (${line})`);
    const times = out.trim().split("\n").at(-1)!.trim().split(/\s+/);
    const secondsOf = (t: string) => {
      const m = /^(\d+)m([\d.]+)s$/.exec(t);
      return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
    };
    return {
      requests: r.requests,
      wallSeconds: r.durationUs / 1e6,
      nodeCpuSeconds,
      clientCpuSeconds: secondsOf(times[0]!) + secondsOf(times[1]!),
      p50: r.p50 / 1000,
      p99: r.p99 / 1000,
      p999: r.p999 / 1000,
      latencies: new Float64Array(0),
    };
  } finally {
    file.remove();
  }
}
