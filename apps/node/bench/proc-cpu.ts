/*
 * CPU time of a process tree read from /proc (Linux): the process, every thread of it, and its
 * live descendants (a node's cluster workers). Used where the measured server is not a Node.js
 * process we can ask over IPC (oxenss), and for our node started from its main entry, so both
 * sides of a comparison are measured the same way.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { CpuMeter } from "./harness.ts";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** utime + stime of one process (all its threads), in clock ticks; 0 once it is gone. */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** The live children of `pid` (each thread keeps its own list). */
function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (list) for (const c of list.split(" ")) out.push(Number(c));
    } catch {}
  }
  return out;
}

/** `pid` and its live descendants. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...childrenOf(p));
  }
  return out;
}

/** CPU seconds used so far by `pid` and its live descendants. */
export function processTreeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) ticks += processTicks(p);
  return ticks / CLOCK_TICKS;
}

export function processTreeMeter(pid: number): CpuMeter {
  return { cpuSeconds: async () => processTreeCpuSeconds(pid) };
}
