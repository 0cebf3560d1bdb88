// Send→receive latency over 3-hop onion paths on a local 12-node devnet, and messages/s one
// client sustains. Prints median/p99; target median < 50 ms on loopback.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevnet } from "@session/devnet";
import { createIdentity, SessionClient } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "client-bench-"));
const devnet = await startDevnet({ nodes: 12, dataDir: dir, fileServer: false, pushServer: false });
const mk = async () => {
  const c = new SessionClient({ identity: createIdentity(), seeds: [devnet.seed] });
  await c.connect();
  return c;
};
const alice = await mk();
const bob = await mk();
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

const latencies: number[] = [];
for (let i = 0; i < 60; i++) {
  const t0 = performance.now();
  await alice.sendText(bob.sessionId, `ping ${i}`);
  for (;;) {
    const got = await bob.poll();
    if (got.some((m) => m.text === `ping ${i}`)) break;
  }
  latencies.push(performance.now() - t0);
}
console.log("client: send→receive over 3 hops (12-node devnet, loopback)");
console.log(
  `  median ${pct(latencies, 0.5).toFixed(1)} ms   p99 ${pct(latencies, 0.99).toFixed(1)} ms   (n=${latencies.length})`,
);

const n = 200;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 8 }, async (_, w) => {
    for (let i = w; i < n; i += 8) await alice.sendText(bob.sessionId, `burst ${i}`);
  }),
);
const secs = (performance.now() - t0) / 1000;
console.log(`  sustained send: ${(n / secs).toFixed(0)} messages/s (8 concurrent sends, one client)`);
await devnet.stop();
rmSync(dir, { recursive: true, force: true });
