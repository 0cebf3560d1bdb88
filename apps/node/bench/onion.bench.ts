/*
 * Onion routing throughput. Prints:
 *  - in-process final hop (decrypt layer → storage RPC stand-in → encrypt reply) per cipher;
 *  - in-process relay hop (decrypt layer → re-frame for the next node, no network);
 *  - a real HTTP chain on loopback: guard → middle → exit → destination node, sequential and
 *    with 8 requests in flight, reported as requests/s and hops/s (4 node hops per request).
 * Run: pnpm bench (or tsx bench/onion.bench.ts).
 */
import { toHex, utf8Encode } from "@session/crypto";
import { decodeOnionLayer, type EncType, encodeOnionLayer, FINAL_HOP_CONTROL } from "@session/protocol";
import { nodeHopCipher } from "../src/onion/hop-cipher.ts";
import { encryptForHop, generateX25519KeyPair } from "../src/onion/hop-encryption.ts";
import { type OnionDeps, processOnionHop } from "../src/onion/process.ts";
import { TestNet } from "../test/helpers/node-net.ts";
import { buildClientOnion, postBytes } from "../test/helpers/onion-client.ts";
import { ed25519KeyPair, parsingRpc, startOnionTestNode, TestNetwork } from "../test/helpers/onion-node.ts";

const DURATION_MS = Number(process.env.BENCH_MS ?? 1500);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(name: string, unitsPerOp: number, unit: string, op: () => Promise<unknown>) {
  const lat: number[] = [];
  const end = performance.now() + DURATION_MS;
  const start = performance.now();
  while (performance.now() < end) {
    const t = performance.now();
    await op();
    lat.push(performance.now() - t);
  }
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const ops = lat.length / secs;
  console.log(
    `${name.padEnd(52)} ${ops.toFixed(0).padStart(7)} ops/s ${(ops * unitsPerOp).toFixed(0).padStart(7)} ${unit}/s  p50 ${pct(lat, 50).toFixed(3)} ms  p99 ${pct(lat, 99).toFixed(3)} ms`,
  );
}

async function measureConcurrent(
  name: string,
  unitsPerOp: number,
  unit: string,
  inFlight: number,
  op: () => Promise<unknown>,
) {
  let done = 0;
  const end = performance.now() + DURATION_MS;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await op();
        done++;
      }
    }),
  );
  const ops = done / ((performance.now() - start) / 1000);
  console.log(
    `${name.padEnd(52)} ${ops.toFixed(0).padStart(7)} ops/s ${(ops * unitsPerOp).toFixed(0).padStart(7)} ${unit}/s`,
  );
}

async function inProcess(encType: EncType) {
  const keys = generateX25519KeyPair();
  const deps: OnionDeps = {
    cipher: nodeHopCipher(keys),
    selfEd25519Hex: toHex(ed25519KeyPair().publicKey),
    nodeBaseUrl: () => undefined,
    nodeFetch: fetch,
    serverFetch: fetch,
    storageRpc: parsingRpc,
    isReady: () => true,
  };
  const rpc = utf8Encode(JSON.stringify({ method: "info", params: {} }));
  const final = encryptForHop(encType, encodeOnionLayer(rpc, FINAL_HOP_CONTROL), keys.publicKey);
  await measure(`final hop in-process (${encType})`, 1, "hops", () =>
    processOnionHop(deps, {
      ciphertext: final.ciphertext,
      ephemeralKey: final.ephemeralPublicKey,
      encType,
      hopNo: 0,
    }),
  );
  // A relay layer to an unknown node: everything a relay does short of the network call.
  const next = { ed25519: ed25519KeyPair().publicKey, x25519: generateX25519KeyPair().publicKey };
  const built = buildClientOnion({
    payload: rpc,
    destination: { kind: "node", ...next },
    hops: [{ ed25519: new Uint8Array(32), x25519: keys.publicKey }],
    encType,
  });
  const outer = decodeOnionLayer(built.request);
  const ek = Uint8Array.from(Buffer.from((outer.json as { ephemeral_key: string }).ephemeral_key, "hex"));
  await measure(`relay hop decrypt+parse in-process (${encType})`, 1, "hops", () =>
    processOnionHop(deps, { ciphertext: outer.payload, ephemeralKey: ek, encType, hopNo: 0 }),
  );
}

async function httpChain(encType: EncType) {
  const network = new TestNetwork();
  const nodes = await Promise.all([0, 1, 2, 3].map(() => startOnionTestNode(network)));
  const [guard, middle, exit, dest] = nodes as [
    (typeof nodes)[0],
    (typeof nodes)[0],
    (typeof nodes)[0],
    (typeof nodes)[0],
  ];
  const payload = utf8Encode(JSON.stringify({ method: "info", params: {} }));
  // Requests are built up front (client-side X25519 work is not the node's) and replayed.
  const pool = Array.from({ length: 64 }, () =>
    buildClientOnion({
      payload,
      destination: { kind: "node", ed25519: dest.ed25519, x25519: dest.x25519 },
      hops: [guard, middle, exit],
      encType,
    }),
  );
  let i = 0;
  const send = async () => {
    const onion = pool[i++ % pool.length]!;
    const res = await postBytes(`${guard.url}/onion_req/v2`, onion.request);
    if (res.status !== 200 || onion.openJson(res.body).status !== 200)
      throw new Error(`onion failed: ${res.status}`);
  };
  await send();
  await measure(`HTTP 3-hop path → node, sequential (${encType})`, 4, "hops", send);
  await measureConcurrent(`HTTP 3-hop path → node, 8 in flight (${encType})`, 4, "hops", 8, send);
  await Promise.all(nodes.map((n) => n.close()));
}

/** The same 3-hop path over real storage nodes (startNode: SQLite, registry, rate limits). */
async function realNodeChain(encType: EncType) {
  const net = new TestNet();
  const nodes = await net.start(4);
  const hops = nodes.map((n) => ({ ed25519: n.keys.ed25519.publicKey, x25519: n.keys.x25519.publicKey }));
  const payload = utf8Encode(JSON.stringify({ method: "info", params: {} }));
  const pool = Array.from({ length: 64 }, () =>
    buildClientOnion({
      payload,
      destination: { kind: "node", ...hops[3]! },
      hops: hops.slice(0, 3),
      encType,
    }),
  );
  let i = 0;
  const send = async () => {
    const onion = pool[i++ % pool.length]!;
    const res = await postBytes(`${nodes[0]!.url}/onion_req/v2`, onion.request);
    if (res.status !== 200 || onion.openJson(res.body).status !== 200)
      throw new Error(`onion failed: ${res.status}`);
  };
  await send();
  await measure(`real nodes 3-hop → node info, sequential (${encType})`, 4, "hops", send);
  await net.stop();
}

console.log(
  `onion bench (${DURATION_MS} ms per line; HTTP lines replay prebuilt requests; 4 node hops each, client decrypts every reply)`,
);
for (const encType of ["aes-gcm", "xchacha20"] as const) await inProcess(encType);
for (const encType of ["aes-gcm", "xchacha20"] as const) await httpChain(encType);
for (const encType of ["aes-gcm", "xchacha20"] as const) await realNodeChain(encType);
