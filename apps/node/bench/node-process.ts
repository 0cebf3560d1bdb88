/*
 * One storage node in its own process for the benchmarks (bench/node.bench.ts, bench/onion.bench.ts
 * fork it). The parent drives it over IPC:
 *   start {dir, registry, name} → {url, info}     refresh → re-read the registry
 *   cpu → process.cpuUsage() (µs, every thread)     limit {kind, ms} → crypto-limit figures
 *   profile-start / profile-stop {path}            stop → close the node and exit
 *   start-floor {reply, fastPath} → url of a bare node:http server that reads each body and
 *   answers `reply` (the HTTP floor: what any node.js server pays per request on this machine);
 *   with fastPath, through the node's storage RPC fast path with an RPC that only returns `reply`
 *   start-pipeline {dir, cryptoThread?} → url of the store pipeline floor (bench/store-pipeline.ts),
 *   its crypto on a worker thread with cryptoThread; pipeline-crypto-cpu → that thread's CPU seconds
 * Only the node runs here, so its CPU time is the node's own.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createMetrics, TokenBuckets } from "@session/service-kit";
import { type RunningNode, startNode } from "../src/node.ts";
import { storageRpcFastPath } from "../src/rpc/http-fast-path.ts";
import { storageRpcRoute } from "../src/rpc/storage-rpc-route.ts";
import { nodeConfig, silent } from "../test/helpers/node-net.ts";
import { cryptoLimit, type LimitKind } from "./crypto-limit.ts";
import { type StorePipeline, startStorePipeline } from "./store-pipeline.ts";

type Command =
  | { id: number; cmd: "start"; dir: string; registry: string; name: string }
  | { id: number; cmd: "refresh" | "cpu" | "threads" | "profile-start" | "stop" }
  | { id: number; cmd: "profile-stop"; path: string }
  | { id: number; cmd: "start-floor"; reply: string; fastPath?: boolean }
  | { id: number; cmd: "start-pipeline"; dir: string; cryptoThread?: boolean }
  | { id: number; cmd: "pipeline-crypto-cpu" }
  | { id: number; cmd: "limit"; kind: LimitKind; ms: number };

let node: RunningNode | undefined;
let inspector: Session | undefined;
let pipelineCryptoThread: StorePipeline | undefined;

async function run(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case "start":
      node = await startNode(
        nodeConfig(join(c.dir, c.name), c.registry, {
          // The benchmark is one client address: the per-IP limiter must not be what is measured.
          rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
          // BENCH_NODE_LINKS=0: relays as one HTTP request each, for comparison.
          nodeLinks: process.env.BENCH_NODE_LINKS !== "0",
        }),
        { logger: silent },
      );
      return { url: node.url, info: node.info };
    case "start-floor": {
      const reply = JSON.parse(c.reply) as object;
      const route = storageRpcRoute({
        rpc: { handle: async () => ({ status: 200, body: reply }) },
        buckets: new TokenBuckets({ capacity: 1e9, refillPerSecond: 1e9 }),
        maxBodyBytes: 10 << 20,
      });
      const fast = storageRpcFastPath({
        route,
        metrics: createMetrics({ prefix: "floor_" }).registry,
        metricPrefix: "floor_",
        logger: silent,
      });
      const server = createServer((req, res) => {
        if (c.fastPath && fast(req, res)) return;
        req.on("data", () => {});
        req.on("end", () => {
          res.writeHead(200, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(c.reply),
          });
          res.end(c.reply);
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      server.unref();
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    case "start-pipeline": {
      const cryptoThread = c.cryptoThread ?? false;
      const p = await startStorePipeline(join(c.dir, cryptoThread ? "pipeline-thread.db" : "pipeline.db"), {
        cryptoThread,
      });
      if (cryptoThread) pipelineCryptoThread = p;
      return p.url;
    }
    case "pipeline-crypto-cpu":
      return (await pipelineCryptoThread?.cryptoThreadSeconds()) ?? 0;
    case "refresh":
      await node?.refreshRegistry();
      return null;
    case "cpu":
      return process.cpuUsage();
    case "threads":
      // Per-thread CPU (clock ticks) from /proc: tells the main thread from GC and libuv threads.
      return readdirSync("/proc/self/task").map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return { tid, name, ticks: Number(f[11]) + Number(f[12]) };
      });
    case "limit":
      return cryptoLimit(c.kind, c.ms);
    case "profile-start":
      inspector = new Session();
      inspector.connect();
      await inspector.post("Profiler.enable");
      await inspector.post("Profiler.setSamplingInterval", { interval: 250 });
      await inspector.post("Profiler.start");
      return null;
    case "profile-stop": {
      const { profile } = await inspector!.post("Profiler.stop");
      writeFileSync(c.path, JSON.stringify(profile));
      inspector!.disconnect();
      return null;
    }
    case "stop":
      await node?.stop();
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on("message", (c: Command) => {
  run(c).then(
    (result) => process.send!({ id: c.id, result }),
    (err) => process.send!({ id: c.id, error: String(err?.stack ?? err) }),
  );
});
