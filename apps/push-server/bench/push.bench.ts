// Notifications/s from a stored message to a stand-in FCM provider, and the latency from the
// store answer to the provider receiving the notification (6-node devnet, 20 watched accounts).
import { toBase64 } from "@session/crypto";
import { seedNodeSource, swarmMembers } from "../src/watcher/nodes.ts";
import { startDevnetPush } from "../test/devnet-push.ts";
import { newAccount, subscribeBody, waitFor } from "../test/helpers.ts";

// firebase-admin (OAuth token minting and messages:send over TLS) against a loopback stand-in.
const { devnet, fcm, server, stop } = await startDevnetPush("push-bench", {});
const accounts = Array.from({ length: 20 }, () => newAccount());
for (const [i, a] of accounts.entries()) {
  await fetch(`${server.url}/subscribe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(subscribeBody(a, { token: `tok-${i}` })),
  });
}
await new Promise((r) => setTimeout(r, 1500)); // monitor streams open
const nodes = await seedNodeSource([devnet.seed])();
const store = async (i: number) => {
  const a = accounts[i % accounts.length]!;
  const m = swarmMembers(nodes, a.sessionId)[0]!;
  const body = {
    method: "store",
    params: {
      pubkey: a.sessionId,
      namespace: 0,
      timestamp: Date.now(),
      ttl: 60_000,
      data: toBase64(new TextEncoder().encode(`bench ${i} ${Math.random()}`)),
    },
  };
  const r = await devnet.nodeFetch(`${devnet.nodeScheme}://${m.public_ip}:${m.storage_port}/storage_rpc/v1`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`store ${r.status}`);
};
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

// Latency: one message at a time.
const lat: number[] = [];
for (let i = 0; i < 40; i++) {
  const before = fcm.received.length;
  // From the store request: the node emits the monitor event before it answers the client.
  const t0 = performance.now();
  await store(i);
  await waitFor("notification", () => fcm.received.length > before, 10_000);
  lat.push(performance.now() - t0);
}
// Throughput: 300 messages as fast as the stores go.
const N = 300;
const start = fcm.received.length;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 8 }, async (_, w) => {
    for (let i = w; i < N; i += 8) await store(1000 + i);
  }),
);
await waitFor("all notifications", () => fcm.received.length - start >= N, 60_000);
const secs = (performance.now() - t0) / 1000;
console.log("push-server benchmark (6-node devnet, 20 watched accounts, stand-in FCM)");
console.log(
  `  store request → provider latency: p50 ${pct(lat, 0.5).toFixed(1)} ms   p99 ${pct(lat, 0.99).toFixed(1)} ms (n=${lat.length})`,
);
console.log(
  `  first notification (OAuth token minted, TLS connections opened): ${lat[0]!.toFixed(1)} ms; max of the rest ${Math.max(...lat.slice(1)).toFixed(1)} ms`,
);
console.log(`  throughput: ${(N / secs).toFixed(0)} notifications/s (${N} messages, 8 concurrent stores)`);
await stop();
