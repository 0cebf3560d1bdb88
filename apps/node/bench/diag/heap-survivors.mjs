/*
 * A look at what outlives the young generation in a node under load (apps/node/README.md,
 * "Beside oxenss", 18:00 UTC). Preloaded into every node process of a bench run:
 *
 *   BENCH_NODE_FLAGS="--expose-gc --import <abs path>/bench/diag/heap-survivors.mjs" \
 *   DIAG_DIR=/tmp/survivors npx tsx bench/oxenss.bench.ts
 *
 * Every DIAG_INTERVAL_MS (8000) each process forces a scavenge and writes V8's sampling heap
 * profile of the objects that survived one (the ones a minor GC collected are left out; those a
 * major GC collected stay in) to DIAG_DIR/<pid>-<n>.json; bench/diag/heap-summary.ts sums them by
 * allocation site. Plain JS: it loads before tsx.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const dir = process.env.DIAG_DIR ?? "/tmp/survivors";
const every = Number(process.env.DIAG_INTERVAL_MS ?? 8000);
mkdirSync(dir, { recursive: true });
const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
const sampling = {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: false,
};
await post("HeapProfiler.enable");
await post("HeapProfiler.startSampling", sampling);
let n = 0;
setInterval(async () => {
  // Garbage not yet scavenged would otherwise count as alive.
  globalThis.gc?.({ type: "minor" });
  const { profile } = await post("HeapProfiler.stopSampling");
  writeFileSync(`${dir}/${process.pid}-${n++}.json`, JSON.stringify(profile));
  await post("HeapProfiler.startSampling", sampling);
}, every).unref();
