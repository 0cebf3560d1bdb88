/*
 * The store pipeline floor's cryptography on its own thread (bench/store-pipeline.ts with
 * `cryptoThread`): a turn's requests arrive as one batch; each is verified and, if good, its swarm
 * entry signed, with the node's own functions. `{ cpu: true }` answers this thread's CPU time
 * (ns, /proc/thread-self/schedstat), so the floor's cost splits into its crypto and the rest.
 */
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { requestVerifier, resultSigner } from "../src/rpc/node-crypto.ts";

export interface CryptoJob {
  sig: Uint8Array;
  msg: Uint8Array;
  pk: Uint8Array;
  /** Signed (base64) only when the signature checks out. */
  signMsg: Uint8Array;
}

const port = parentPort!;
const sign = resultSigner((workerData as { secretKey: Uint8Array }).secretKey);
port.on("message", (m: { id: number; jobs: CryptoJob[] } | { cpu: true }) => {
  if ("cpu" in m) {
    const ns = Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
    port.postMessage({ cpuNs: ns });
    return;
  }
  const sigs = m.jobs.map((j) => (requestVerifier.verify(j.sig, j.msg, j.pk) ? sign(j.signMsg) : null));
  port.postMessage({ id: m.id, sigs });
});
