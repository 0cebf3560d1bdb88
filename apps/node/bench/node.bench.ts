// Authenticated store and retrieve on one node (1 KiB messages, 16 concurrent HTTP clients):
// requests/s and p50/p99 latency, next to the signature-verify limit of packages/crypto.
import { randomBytes } from "node:crypto";
import { toBase64, verify } from "@session/crypto";
import { newAccount, retrieveParams, signed, TestNet } from "../test/helpers/node-net.ts";

const net = new TestNet();
const [node] = await net.start(1);
const url = `${node!.url}/storage_rpc/v1`;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function run(name: string, total: number, makeBody: (i: number) => unknown) {
  // Bodies are signed before the clock starts: the figure is the node's work, not the client's.
  const bodies = Array.from({ length: total }, (_, i) => JSON.stringify(makeBody(i)));
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = performance.now();
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: bodies[i],
        });
        if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${name.padEnd(36)} ${(total / secs).toFixed(0).padStart(6)} req/s   p50 ${pct(lat, 0.5).toFixed(2)} ms   p99 ${pct(lat, 0.99).toFixed(2)} ms`,
  );
}

const accounts = Array.from({ length: 50 }, () => newAccount());
const payload = toBase64(randomBytes(1024));
console.log("apps/node benchmark: one node, 16 concurrent clients, 1 KiB messages");
// Public-inbox stores carry no signature; namespace 1 stores are signed (verify on every request).
await run("authenticated store (namespace 1)", 2000, (i) => {
  const a = accounts[i % accounts.length]!;
  const now = Date.now();
  return {
    method: "store",
    params: signed(a, "store", {
      pubkey: a.sessionId,
      namespace: 1,
      timestamp: now,
      sig_timestamp: now,
      ttl: 600_000,
      data: payload,
    }),
  };
});
await run("authenticated retrieve", 2000, (i) => {
  const a = accounts[i % accounts.length]!;
  return { method: "retrieve", params: retrieveParams(a, { namespace: 1 }) };
});
// The crypto limit the node cannot beat: one Ed25519 verify per request.
const a = accounts[0]!;
const msg = randomBytes(64);
const { sign } = await import("@session/crypto");
const sig = sign(msg, a.ed25519.secretKey);
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < 500) {
  verify(sig, msg, a.ed25519.publicKey);
  n++;
}
console.log(
  `${"crypto limit: ed25519 verify".padEnd(36)} ${((n / (performance.now() - t0)) * 1000).toFixed(0).padStart(6)} ops/s (one core)`,
);
await net.stop();
