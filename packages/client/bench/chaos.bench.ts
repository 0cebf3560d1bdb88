import { chaosSeed, percentile, runChaos } from "../test/chaos.ts";

// Long churn run (issue #18 target): 12 node processes, SIGKILL and restart, at least 7 up.
const seed = chaosSeed();
const durationMs = Number(process.env.CHAOS_MS ?? 300_000);
console.log(`chaos seed ${seed} (replay: SEED=${seed}), ${durationMs / 1000} s of sends`);
const r = await runChaos({ seed, durationMs });
const lat = [...r.latenciesMs].sort((a, b) => a - b);
console.log(
  `churn send success ${((100 * r.acknowledged) / r.sends).toFixed(2)} % (${r.acknowledged}/${r.sends}, failures ${JSON.stringify(r.failures)}), ${r.kills} SIGKILLs, min up ${r.minUpSeen}/12`,
);
console.log(`churn acknowledged ${r.acknowledged}, retrievable ${r.retrievable}, missing ${r.missing}`);
console.log(
  `churn send latency p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms`,
);
if (r.missing > 0 || r.acknowledged / r.sends < 0.99) process.exitCode = 1;
