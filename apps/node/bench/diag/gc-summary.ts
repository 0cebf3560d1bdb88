/*
 * Per process and isolate, what V8's `--trace-gc-nvp` printed during a bench run: scavenges
 * (count, pause p50/p90/max, bytes survived and promoted, allocated between them) and the
 * mark-compact pauses (idle memory-reducing ones left out).
 *
 *   BENCH_NODE_FLAGS=--trace-gc-nvp BENCH_NODE_STDOUT=1 npx tsx bench/oxenss.bench.ts > run.log
 *   npx tsx bench/diag/gc-summary.ts run.log
 */
import { readFileSync } from "node:fs";

const events = new Map<string, Record<string, string>[]>();
for (const line of readFileSync(process.argv[2]!, "utf8").split("\n")) {
  const m = /^\[(\d+):(\S+)\]\s+\d+ ms: (.*)$/.exec(line);
  if (!m) continue;
  const kv = Object.fromEntries(m[3]!.split(" ").flatMap((w) => (w.includes("=") ? [w.split("=", 2)] : [])));
  const key = `${m[1]} ${m[2]}`;
  events.set(key, [...(events.get(key) ?? []), kv]);
}
const q = (xs: number[], p: number) =>
  xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;
for (const [key, evs] of events) {
  if (evs.length < 3) continue;
  const sc = evs.filter((e) => e.gc === "s");
  const pause = sc.map((e) => Number(e.pause));
  const kb = (f: string) =>
    `${(
      q(
        sc.map((e) => Number(e[f] ?? 0)),
        0.5,
      ) / 1024
    ).toFixed(0)} KiB`;
  const mc = evs.filter((e) => e.gc !== "s" && e.reduce_memory !== "1").map((e) => e.pause);
  console.log(
    `${key}: ${sc.length} scavenges, pause p50 ${q(pause, 0.5)} p90 ${q(pause, 0.9)} max ${q(pause, 1)} ms, median survived ${kb("new_space_survived")}, promoted ${kb("promoted")}, allocated ${kb("allocated")}; mark-compact pauses [${mc.join(", ")}] ms`,
  );
}
