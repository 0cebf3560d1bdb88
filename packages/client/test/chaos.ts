import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ProcessNode, startProcessNet } from "@session/devnet";
import { createIdentity, SessionClient } from "../src/index.ts";

/*
 * Seeded churn on a network of node processes: while one client sends to another, nodes are
 * killed with SIGKILL and started again, never more than `nodes - minUp` down (or starting) at
 * once. Afterwards every node is started and the recipient polls until it has every message the
 * sender saw acknowledged (or a deadline passes). Used by test/chaos.test.ts (short) and
 * bench/chaos.bench.ts (long); the seed makes the kill schedule replayable (`SEED=`).
 */
export interface ChaosOptions {
  seed: number;
  nodes?: number;
  minUp?: number;
  /** How long the sender sends while nodes churn (ms). */
  durationMs: number;
  /** Mean pause between chaos actions (ms). */
  actionEveryMs?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  sends: number;
  acknowledged: number;
  failed: number;
  failures: Record<string, number>;
  retrievable: number;
  missing: number;
  kills: number;
  minUpSeen: number;
  latenciesMs: number[];
}

/** mulberry32: a small seeded PRNG, so a run's kill schedule can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function chaosSeed(): number {
  const fromEnv = process.env.SEED;
  return fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const n = o.nodes ?? 12;
  const minUp = o.minUp ?? 7;
  const rnd = seededRandom(o.seed);
  const dir = mkdtempSync(join(tmpdir(), "client-chaos-"));
  const net = await startProcessNet({ nodes: n, dataDir: dir });
  const report: ChaosReport = {
    seed: o.seed,
    sends: 0,
    acknowledged: 0,
    failed: 0,
    failures: {},
    retrievable: 0,
    missing: 0,
    kills: 0,
    minUpSeen: n,
    latenciesMs: [],
  };
  try {
    const alice = new SessionClient({ identity: createIdentity(), seeds: net.seedUrls });
    const bob = new SessionClient({ identity: createIdentity(), seeds: net.seedUrls });
    await alice.connect();
    await bob.connect();

    // Nodes down or starting are not up; at least `minUp` stay up at every moment.
    const down = new Set<ProcessNode>();
    const restarts: Promise<void>[] = [];
    let stopChaos = false;
    const chaos = (async () => {
      while (!stopChaos) {
        await new Promise((r) => setTimeout(r, (o.actionEveryMs ?? 1500) * (0.5 + rnd())));
        if (stopChaos) break;
        const up = net.nodes.filter((x) => !down.has(x));
        if (up.length <= minUp) continue;
        const victim = up[Math.floor(rnd() * up.length)]!;
        const downFor = 1000 + rnd() * 6000;
        down.add(victim);
        report.kills++;
        report.minUpSeen = Math.min(report.minUpSeen, n - down.size);
        log(`kill node ${victim.index} (SIGKILL) for ${Math.round(downFor)} ms; up ${n - down.size}/${n}`);
        await victim.kill("SIGKILL");
        restarts.push(
          (async () => {
            await new Promise((r) => setTimeout(r, downFor));
            await victim.start();
            down.delete(victim);
          })(),
        );
      }
    })();

    const acked = new Set<string>();
    const until = Date.now() + o.durationMs;
    let i = 0;
    while (Date.now() < until) {
      const t0 = performance.now();
      report.sends++;
      try {
        const sent = await alice.sendText(bob.sessionId, `chaos ${o.seed} #${i++}`);
        acked.add(sent.hash);
        report.latenciesMs.push(performance.now() - t0);
      } catch (err) {
        report.failed++;
        const code = (err as { code?: string }).code ?? "ERROR";
        report.failures[code] = (report.failures[code] ?? 0) + 1;
        log(`send failed: ${code}: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    stopChaos = true;
    await chaos;
    await Promise.all(restarts);
    report.acknowledged = acked.size;

    // Every acknowledged message must be retrievable by the recipient from its swarm.
    const got = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && [...acked].some((h) => !got.has(h))) {
      try {
        for (const m of await bob.poll()) got.add(m.hash);
      } catch {
        // a member still catching up: poll again
      }
    }
    report.retrievable = [...acked].filter((h) => got.has(h)).length;
    report.missing = report.acknowledged - report.retrievable;
    return report;
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
