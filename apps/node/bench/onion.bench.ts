/*
 * Onion routing throughput over real storage nodes, each in its own process (bench/node-process.ts);
 * this process only replays prebuilt onion requests (client-side X25519 work is done before the
 * clock starts) on keep-alive connections and opens every reply.
 *
 *  - guard → destination (2 nodes): the guard's relay hop and the destination's final hop, each
 *    as hops/s per core of that node's own CPU time;
 *  - guard → middle → exit → destination (4 nodes): hops/s per node core over all four.
 *
 * The destination runs the storage RPC `info`. Crypto limits are measured in a node process on the
 * node's own hop cipher (bench/crypto-limit.ts): a relay hop opens one layer (X25519 + KDF +
 * AEAD decrypt); the final hop opens one and seals the reply.
 *
 * Env: BENCH_REQUESTS (default 3000 per line), BENCH_PROFILE=<dir> (final/relay .cpuprofile).
 */
import { join } from "node:path";
import { fromHex, utf8Encode } from "@session/crypto";
import type { EncType } from "@session/protocol";
import { buildClientOnion } from "../test/helpers/onion-client.ts";
import { combined } from "./crypto-limit.ts";
import { BenchNet, type BenchNode, fmt, type LoadResult, runLoad } from "./harness.ts";

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = 16;
const PROFILE = process.env.BENCH_PROFILE;
const payload = utf8Encode(JSON.stringify({ method: "info", params: {} }));

const hopOf = (n: BenchNode) => ({
  ed25519: fromHex(n.info.pubkey_ed25519),
  x25519: fromHex(n.info.pubkey_x25519),
});

async function replay(
  nodes: BenchNode[],
  encType: EncType,
  measured: BenchNode[][],
  profileAs?: string,
): Promise<{ r: LoadResult; cpu: number[] }> {
  const [guard, ...rest] = nodes as [BenchNode, ...BenchNode[]];
  const dest = rest[rest.length - 1]!;
  const onions = Array.from({ length: TOTAL }, () =>
    buildClientOnion({
      payload,
      destination: { kind: "node", ...hopOf(dest) },
      hops: [guard, ...rest.slice(0, -1)].map(hopOf),
      encType,
    }),
  );
  const warm = onions.slice(0, 500).map((o) => o.request);
  const check = (status: number, body: Buffer, i: number, list = onions) => {
    if (status !== 200) throw new Error(`onion: HTTP ${status} ${body.toString().slice(0, 200)}`);
    const inner = list[i]!.openJson(new Uint8Array(body));
    if (inner.status !== 200) throw new Error(`onion: inner status ${inner.status}`);
  };
  await runLoad({
    url: guard.url,
    path: "/onion_req/v2",
    bodies: warm,
    concurrency: CONCURRENCY,
    contentType: "application/octet-stream",
    measured: [],
    check,
  });
  if (profileAs) await Promise.all(nodes.map((n) => n.call("profile-start")));
  const cpu0 = await Promise.all(measured.map((g) => Promise.all(g.map((n) => n.cpuSeconds()))));
  const r = await runLoad({
    url: guard.url,
    path: "/onion_req/v2",
    bodies: onions.map((o) => o.request),
    concurrency: CONCURRENCY,
    contentType: "application/octet-stream",
    measured: [],
    check,
  });
  const cpu1 = await Promise.all(measured.map((g) => Promise.all(g.map((n) => n.cpuSeconds()))));
  if (profileAs) {
    await Promise.all(
      nodes.map((n, i) => n.call("profile-stop", { path: join(PROFILE!, `${profileAs}-${i}.cpuprofile`) })),
    );
  }
  const cpu = cpu1.map((g, gi) => g.reduce((s, c, i) => s + c - cpu0[gi]![i]!, 0));
  return { r, cpu };
}

const report = (name: string, r: LoadResult, hopsPerRequest: number) =>
  console.log(
    `${name}: ${fmt(r.requests / r.wallSeconds)} req/s wall, ${fmt((hopsPerRequest * r.requests) / r.wallSeconds)} hops/s wall, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
  );
const perCore = (name: string, hops: number, cpu: number, limit: number, limitName: string) =>
  console.log(
    `${name}: ${fmt(hops / cpu)} hops/s per node core (${((cpu / hops) * 1e6).toFixed(0)} µs CPU per hop) vs limit ${fmt(limit)} hops/s per core (${limitName}) → ratio ${(limit / (hops / cpu)).toFixed(2)}×`,
  );

console.log(
  `onion bench: nodes in their own processes, ${CONCURRENCY} keep-alive connections, ${TOTAL} prebuilt requests per line, destination runs "info"; one untimed pass first`,
);
const net = new BenchNet();
const nodes = await net.start(4);
const [a, b, c, d] = nodes as [BenchNode, BenchNode, BenchNode, BenchNode];
// The limits are measured right before and after each timed line and averaged: this VM's speed
// drifts by tens of percent over minutes, so a limit from another minute would skew a ratio.
const limitsNow = async (encType: EncType) => {
  // Layer sizes as the nodes see them (a guard's layer wraps the destination's; replies are small).
  const open = (bytes: number) => a.limit({ op: "onion-open", encType, bytes }, 400);
  const relayOpen = await open(payload.length + 400);
  const finalOpen = await open(payload.length + 64);
  const seal = await a.limit({ op: "onion-seal", encType, bytes: 160 }, 400);
  return { relay: relayOpen.perCpuSecond, final: combined([finalOpen.perCpuSecond, seal.perCpuSecond]) };
};
const around = async <T>(encType: EncType, timed: () => Promise<T>) => {
  const before = await limitsNow(encType);
  const result = await timed();
  const after = await limitsNow(encType);
  const l = { relay: (before.relay + after.relay) / 2, final: (before.final + after.final) / 2 };
  return { result, l };
};
// Pass 0 warms every node's relay and final-hop code for both ciphers (the JIT); pass 1 is timed.
for (const pass of [0, 1]) {
  const print = pass === 1;
  for (const encType of ["aes-gcm", "xchacha20"] as const) {
    const profile = print && PROFILE && encType === "aes-gcm" ? "2hop" : undefined;
    if (!print) {
      await replay([a, b], encType, [[a], [b]]);
      continue;
    }
    const { result: two, l } = await around(encType, () => replay([a, b], encType, [[a], [b]], profile));
    report(`onion guard → destination (${encType})`, two.r, 2);
    perCore(`  relay hop at the guard (${encType})`, two.r.requests, two.cpu[0]!, l.relay, "open");
    perCore(
      `  final hop at the destination (${encType})`,
      two.r.requests,
      two.cpu[1]!,
      l.final,
      "open + seal",
    );
  }
  for (const encType of ["aes-gcm", "xchacha20"] as const) {
    if (!print) {
      await replay([a, b, c, d], encType, [[a, b, c, d]]);
      continue;
    }
    const { result: four, l } = await around(encType, () => replay([a, b, c, d], encType, [[a, b, c, d]]));
    report(`onion guard → middle → exit → destination (${encType})`, four.r, 4);
    // Per request: three relay opens and one final open + seal.
    const pathLimit = 4 * combined([l.relay, l.relay, l.relay, l.final]);
    perCore(
      `  3-hop path, all four nodes (${encType})`,
      4 * four.r.requests,
      four.cpu[0]!,
      pathLimit,
      "3 relay + 1 final",
    );
  }
}
await net.stop();
