/*
 * A store into a 5-node swarm: what the whole swarm spends per accepted message. The entry node
 * verifies the client's signature, stores, signs its entry and forwards the request to the 4 other
 * members, each of which checks the forward's node signature and the client's signature, stores
 * and signs its own entry. Nodes run in their own processes; the figure is requests ÷ the CPU
 * seconds of all five. Run twice: swarm forwards over node links (the default) and over one HTTP
 * request each (NODE_LINKS=0), so the line shows what the links save.
 *
 * Crypto limit per swarm store: 5 × (client verify + member's entry sign) + one forward signature
 * (the entry signs the forward once for all peers) + 4 forward verifies, each at its single-core
 * rate measured in a node process on the node's own functions.
 *
 * Env: BENCH_REQUESTS (default 3000).
 */
import { randomBytes } from "node:crypto";
import { toBase64 } from "@session/crypto";
import { newAccount, signed } from "../test/helpers/node-net.ts";
import { BenchNet, type BenchNode, fmt, runLoad } from "./harness.ts";

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 3000);
const WARM = Math.min(TOTAL, 1000);
const MEMBERS = 5;
const accounts = Array.from({ length: 50 }, () => newAccount());

function storeBodies(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const a = accounts[i % accounts.length]!;
    const now = Date.now();
    const params = { pubkey: a.sessionId, namespace: 1, timestamp: now, sig_timestamp: now, ttl: 600_000 };
    return JSON.stringify({
      method: "store",
      params: signed(a, "store", { ...params, data: toBase64(randomBytes(1024)) }),
    });
  });
}

const us = (rate: number) => 1e6 / rate;

async function run(links: boolean) {
  process.env.BENCH_NODE_LINKS = links ? "1" : "0"; // read by each forked node process
  const net = new BenchNet();
  const nodes = await net.start(MEMBERS);
  const entry = nodes[0] as BenchNode;
  const check = (status: number, body: Buffer) => {
    if (status !== 200) throw new Error(`store: HTTP ${status} ${body}`);
    const swarm = (JSON.parse(body.toString()) as { swarm: Record<string, { signature?: string }> }).swarm;
    const signedBy = Object.values(swarm).filter((e) => e.signature).length; // every member stored it
    if (signedBy !== MEMBERS) throw new Error(`store: ${signedBy} of ${MEMBERS} members signed`);
  };
  const load = (bodies: string[]) =>
    runLoad({
      url: entry.url,
      path: "/storage_rpc/v1",
      bodies,
      concurrency: 16,
      contentType: "application/json",
      measured: nodes,
      check,
    });
  await load(storeBodies(WARM));
  const r = await load(storeBodies(TOTAL));
  const [verify, sign, peerSign] = [
    await entry.limit({ op: "verify" }),
    await entry.limit({ op: "sign" }),
    await entry.limit({ op: "sign" }),
  ];
  await net.stop();
  const cryptoUs =
    MEMBERS * (us(verify.perCpuSecond) + us(sign.perCpuSecond)) +
    us(peerSign.perCpuSecond) +
    (MEMBERS - 1) * us(verify.perCpuSecond);
  const perCore = r.requests / r.nodeCpuSeconds;
  const limit = 1e6 / cryptoUs;
  console.log(
    `swarm store, ${MEMBERS} members, forwards over ${links ? "node links" : "HTTP (NODE_LINKS=0)"}: ${fmt(r.requests / r.wallSeconds)} req/s wall, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms; ${fmt(perCore)} stores per swarm core (${((r.nodeCpuSeconds / r.requests) * 1e6).toFixed(0)} µs CPU per store, all members) vs crypto limit ${fmt(limit)} → ratio ${(limit / perCore).toFixed(2)}×`,
  );
}

console.log(
  `apps/node swarm benchmark: ${MEMBERS} node processes in one swarm, stores of 1 KiB to the entry node on 16 keep-alive connections, ${TOTAL} requests after ${WARM} untimed`,
);
await run(true);
await run(false);
