/*
 * One storage node in its own process for the benchmarks (bench/node.bench.ts, bench/onion.bench.ts
 * fork it). The parent drives it over IPC:
 *   start {dir, registry, name} → {url, info}     refresh → re-read the registry
 *   cpu → process.cpuUsage() (µs, every thread)     limit {kind, ms} → crypto-limit figures
 *   profile-start / profile-stop {path}            stop → close the node and exit
 * Only the node runs here, so its CPU time is the node's own.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { type RunningNode, startNode } from "../src/node.ts";
import { nodeConfig, silent } from "../test/helpers/node-net.ts";
import { cryptoLimit, type LimitKind } from "./crypto-limit.ts";

type Command =
  | { id: number; cmd: "start"; dir: string; registry: string; name: string }
  | { id: number; cmd: "refresh" | "cpu" | "profile-start" | "stop" }
  | { id: number; cmd: "profile-stop"; path: string }
  | { id: number; cmd: "limit"; kind: LimitKind; ms: number };

let node: RunningNode | undefined;
let inspector: Session | undefined;

async function run(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case "start":
      node = await startNode(
        nodeConfig(join(c.dir, c.name), c.registry, {
          // The benchmark is one client address: the per-IP limiter must not be what is measured.
          rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
        }),
        { logger: silent },
      );
      return { url: node.url, info: node.info };
    case "refresh":
      await node?.refreshRegistry();
      return null;
    case "cpu":
      return process.cpuUsage();
    case "limit":
      return cryptoLimit(c.kind, c.ms);
    case "profile-start":
      inspector = new Session();
      inspector.connect();
      await inspector.post("Profiler.enable");
      await inspector.post("Profiler.setSamplingInterval", { interval: 100 });
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
