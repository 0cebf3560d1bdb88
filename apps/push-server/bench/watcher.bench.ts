// How fast the watcher puts accounts on a node's monitor stream, and how long a renewal round of
// all of them takes: one real storage node on loopback (its monitor routes and signature checks),
// N accounts with real signatures in a SQLite repo, one stream carrying all of them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode } from "@session/node";
import { loopbackNodeConfig } from "@session/node/testing";
import { createLogger } from "@session/service-kit";
import { Registry } from "prom-client";
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import { Watcher } from "../src/watcher/watcher.ts";
import { newAccount, subscribeBody, subscriptionRow, waitFor } from "../test/helpers.ts";

const N = Number(process.env.ACCOUNTS ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), "push-watch-bench-"));
const logger = createLogger({ name: "bench", level: "silent" });
const node = await startNode(
  loopbackNodeConfig(join(dir, "node"), { rateLimit: { perSecond: 100_000, burst: 100_000 } }),
  {
    logger,
    registry: { description: "none", load: async () => [] },
  },
);
const repo = SqliteSubscriptionRepo.open(join(dir, "subs.sqlite"));
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const b = subscribeBody(newAccount(), { token: `t${i}` });
  await repo.upsert(subscriptionRow(b));
}
console.log(`${N} signed subscriptions stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

let messages = 0;
const watcher = new Watcher({
  repo,
  fetch,
  listNodes: async () => [{ ...node.info, swarm_id: "0" }],
  onMessage: () => {
    messages++;
  },
  logger,
  registry: new Registry(),
  nodeScheme: "http",
});
const acked = () => watcher.streamStats().reduce((a, s) => a + s.acked, 0);
const t1 = performance.now();
await watcher.start();
await waitFor("every account accepted", () => acked() === N, 600_000);
const subscribeS = (performance.now() - t1) / 1000;
const streams = watcher.streamStats().length;
console.log(
  `watcher start → ${N} accounts accepted by the node on ${streams} stream(s): ${subscribeS.toFixed(2)} s ` +
    `(${Math.round(N / subscribeS)} accounts/s, signature checks on the node included)`,
);

// A renewal round: every subscription re-sent on the open stream.
const metrics = async () =>
  (await (await fetch(`${node.url}/metrics`)).text()).match(
    /session_node_http_requests_total\{method="POST",route="\/monitor\/v1\/subscribe",status="200"\} (\d+)/,
  );
const before = Number((await metrics())?.[1] ?? 0);
const t2 = performance.now();
watcher.renewAll();
const batches = Math.ceil(N / 1000);
await waitFor(
  "renewal requests",
  async () => Number((await metrics())?.[1] ?? 0) >= before + batches,
  600_000,
);
console.log(
  `renewal round of ${N} subscriptions (${batches} requests of ≤ 1000): ${((performance.now() - t2) / 1000).toFixed(2)} s`,
);

// Fan-in: stored messages for every account reach the watcher's handler.
const accounts = await repo.accounts();
const t3 = performance.now();
// In slices, as a node stores them: its per-stream queue holds at most 10 000 events.
for (let i = 0; i < accounts.length; i++) {
  node.ctx.events.emit("stored", {
    pubkey: accounts[i]!,
    namespace: 0,
    hash: `h${i}`,
    timestamp: Date.now(),
    expiry: Date.now() + 86_400_000,
    data: new Uint8Array(100),
  });
  if (i % 500 === 499) await new Promise((r) => setImmediate(r));
}
await waitFor("every message", () => messages === N, 600_000);
const fanS = (performance.now() - t3) / 1000;
console.log(
  `${N} messages through one stream to the handler: ${fanS.toFixed(2)} s (${Math.round(N / fanS)}/s)`,
);

watcher.stop();
await node.stop();
await repo.close();
rmSync(dir, { recursive: true, force: true });
