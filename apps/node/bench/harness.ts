/*
 * Benchmark plumbing: nodes in child processes (bench/node-process.ts) and a load generator on
 * persistent keep-alive connections (undici Pool.request) in this process.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeInfo } from "@session/protocol";
import { Pool } from "undici";
import { writeRegistryFile } from "../src/swarm/membership.ts";
import type { LimitKind, Rate } from "./crypto-limit.ts";

export interface BenchNode {
  url: string;
  info: Omit<NodeInfo, "swarm_id">;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  /** CPU seconds (user + system, all threads) the node process has used so far. */
  cpuSeconds(): Promise<number>;
  limit(kind: LimitKind, ms?: number): Promise<Rate>;
}

/** Nodes, each in its own process, sharing one static registry file. */
export class BenchNet {
  readonly dir = mkdtempSync(join(tmpdir(), "session-bench-"));
  readonly registry = join(this.dir, "registry.json");
  private readonly children: ChildProcess[] = [];
  readonly nodes: BenchNode[] = [];

  async start(n: number): Promise<BenchNode[]> {
    await writeRegistryFile(this.registry, []);
    const started = await Promise.all(Array.from({ length: n }, (_, i) => this.startOne(`n${i}`)));
    await writeRegistryFile(
      this.registry,
      started.map((s) => s.info),
    );
    await Promise.all(started.map((s) => s.call("refresh")));
    return started;
  }

  private async startOne(name: string): Promise<BenchNode> {
    const child = fork(new URL("./node-process.ts", import.meta.url).pathname, [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.children.push(child);
    let nextId = 0;
    const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
    child.on("message", (m: { id: number; result?: unknown; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    child.on("exit", (code) => {
      for (const p of pending.values()) p.reject(new Error(`node process exited (${code})`));
    });
    const call = <T>(cmd: string, args: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, ...args });
      });
    const { url, info } = await call<{ url: string; info: BenchNode["info"] }>("start", {
      dir: this.dir,
      registry: this.registry,
      name,
    });
    const node: BenchNode = {
      url,
      info,
      call,
      async cpuSeconds() {
        const u = await call<{ user: number; system: number }>("cpu");
        return (u.user + u.system) / 1e6;
      },
      limit: (kind, ms = 1000) => call<Rate>("limit", { kind, ms }),
    };
    this.nodes.push(node);
    return node;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.call("stop").catch(() => {})));
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : c.once("exit", () => resolve()))),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Anything whose CPU time a load run reads before and after (a node, an oxenss process tree). */
export interface CpuMeter {
  /** CPU seconds (user + system, all threads) used so far. */
  cpuSeconds(): Promise<number>;
}

export interface LoadResult {
  requests: number;
  wallSeconds: number;
  /** CPU seconds the measured node(s) spent during the run. */
  nodeCpuSeconds: number;
  /** CPU seconds this (client) process spent during the run. */
  clientCpuSeconds: number;
  p50: number;
  p99: number;
  /** Every request's latency (ms), ascending: for percentiles over several runs together. */
  latencies: Float64Array;
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** CPU seconds used so far by every process in `measured`, together. */
export async function cpuSecondsOf(measured: readonly CpuMeter[]): Promise<number> {
  return (await Promise.all(measured.map((n) => n.cpuSeconds()))).reduce((a, b) => a + b, 0);
}

/**
 * Sends every body (prepared in advance) with `concurrency` requests in flight over one keep-alive
 * connection each (HTTP or HTTPS); `check` sees each reply, after the clock stops (a check that
 * opens an onion reply or parses JSON would otherwise take the servers' cores while they are
 * timed). CPU time is read from `measured` before and after. With `ratePerSecond`, request i is
 * due at i/rate seconds from the start and is not sent before; its latency counts from when it
 * was due, so a server that falls behind is charged for the wait (no coordinated omission) — the
 * same offered load for every server.
 */
export async function runLoad(opts: {
  url: string;
  path: string;
  bodies: readonly (string | Uint8Array)[];
  concurrency: number;
  contentType: string;
  measured: readonly CpuMeter[];
  check(status: number, body: Buffer, i: number): void;
  ratePerSecond?: number;
  /**
   * Sent `concurrency` times at once before the clock starts, so every connection (and its TLS
   * handshake) is up when timing begins. Without it the first request on each connection waits for
   * the handshakes of all of them: at 32 connections and 4000 requests that is 0.8% of the
   * requests, about what a p99 reads.
   */
  warmUp?: { path: string; body: string; contentType: string };
}): Promise<LoadResult> {
  // Storage servers use self-signed certificates; clients authenticate nodes by their keys.
  const pool = new Pool(opts.url, {
    connections: opts.concurrency,
    pipelining: 1,
    connect: { rejectUnauthorized: false },
  });
  const lat = new Float64Array(opts.bodies.length);
  const replies: { status: number; body: Buffer }[] = new Array(opts.bodies.length);
  let next = 0;
  if (opts.warmUp) {
    const w = opts.warmUp;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        const res = await pool.request({
          path: w.path,
          method: "POST",
          headers: { "content-type": w.contentType },
          body: w.body,
        });
        await res.body.dump();
      }),
    );
  }
  const node0 = await cpuSecondsOf(opts.measured);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= opts.bodies.length) return;
        let s = performance.now();
        if (opts.ratePerSecond) {
          const due = t0 + (i * 1000) / opts.ratePerSecond;
          if (due > s) await new Promise((r) => setTimeout(r, due - s));
          s = due;
        }
        const res = await pool.request({
          path: opts.path,
          method: "POST",
          headers: { "content-type": opts.contentType },
          body: opts.bodies[i]!,
        });
        const chunks: Buffer[] = [];
        for await (const c of res.body) chunks.push(c as Buffer);
        lat[i] = performance.now() - s;
        replies[i] = {
          status: res.statusCode,
          body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        };
      }
    }),
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(client0);
  const nodeCpuSeconds = (await cpuSecondsOf(opts.measured)) - node0;
  await pool.close();
  for (const [i, r] of replies.entries()) opts.check(r.status, r.body, i);
  const sorted = Array.from(lat).sort((a, b) => a - b);
  return {
    requests: opts.bodies.length,
    wallSeconds,
    nodeCpuSeconds,
    clientCpuSeconds: (client.user + client.system) / 1e6,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    latencies: Float64Array.from(sorted),
  };
}

export const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(7);
