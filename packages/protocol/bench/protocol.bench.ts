/**
 * Throughput and latency of the hot codecs. Run: pnpm bench. Prints one line per case.
 */
import { toBase64 } from "@session/crypto";
import {
  computeMessageHash,
  encodeV4Request,
  swarmForPubkey,
  unwrapFromStorage,
  wrapForStorage,
} from "../src/index.ts";
import { decodeOnionLayer, decodeV4Request, encodeOnionLayer } from "../src/onion/index.ts";
import { parseRpcRequest } from "../src/rpc/index.ts";

function bench(name: string, iterations: number, f: () => unknown): void {
  for (let i = 0; i < Math.min(1000, iterations); i++) f(); // warm-up
  const samples = new Float64Array(iterations);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    f();
    samples[i] = performance.now() - t0;
  }
  const total = performance.now() - start;
  samples.sort();
  const pct = (p: number) =>
    (samples[Math.min(iterations - 1, Math.floor(p * iterations))]! * 1000).toFixed(1);
  console.log(
    `${name.padEnd(36)} ${Math.round((iterations / total) * 1000)
      .toString()
      .padStart(9)} ops/s  p50 ${pct(0.5)} µs  p99 ${pct(0.99)} µs`,
  );
}

const pk = `05${"d2".repeat(32)}`;
const data1k = new Uint8Array(1024).fill(7);
const data64k = new Uint8Array(65536).fill(7);

bench("computeMessageHash 1 KiB", 20_000, () => computeMessageHash(pk, 0, data1k));
bench("computeMessageHash 64 KiB", 2_000, () => computeMessageHash(pk, 0, data64k));

const storeBody = {
  method: "store",
  params: { pubkey: pk, timestamp: Date.now(), ttl: 86_400_000, data: toBase64(data1k) },
};
bench("parseRpcRequest store 1 KiB", 20_000, () => parseRpcRequest(storeBody));

const layer = encodeOnionLayer(data64k, {
  destination: "ab".repeat(32),
  ephemeral_key: "cd".repeat(32),
  enc_type: "xchacha20",
});
bench("encodeOnionLayer 64 KiB", 5_000, () => encodeOnionLayer(data64k, { headers: "" }));
bench("decodeOnionLayer 64 KiB", 5_000, () => decodeOnionLayer(layer));

const v4 = encodeV4Request(
  { method: "POST", endpoint: "/file", headers: { "content-type": "application/octet-stream" } },
  data64k,
);
bench("encodeV4Request 64 KiB", 5_000, () => encodeV4Request({ method: "POST", endpoint: "/file" }, data64k));
bench("decodeV4Request 64 KiB", 5_000, () => decodeV4Request(v4));

const env = { type: 6, timestamp: Date.now(), content: data1k };
const wrapped = wrapForStorage(env);
bench("wrapForStorage 1 KiB", 20_000, () => wrapForStorage(env));
bench("unwrapFromStorage 1 KiB", 20_000, () => unwrapFromStorage(wrapped));

const swarms = Array.from({ length: 1000 }, (_, i) => BigInt(i) * ((1n << 64n) / 1000n));
bench("swarmForPubkey (1000 swarms)", 20_000, () => swarmForPubkey(pk, swarms));
