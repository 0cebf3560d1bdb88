/*
 * The store pipeline floor: the least a store can cost on this stack. A bare node:http server that
 * does only the steps no store can skip, with the node's own parts — read the body, JSON.parse,
 * decode base64/hex, Ed25519 verify (the node's verifier), the message hash, one SQLite insert
 * through MessageStore's group commit (the same file, pragmas and schema), Ed25519 sign of the
 * swarm entry, the JSON reply at turn end. No validation, auth policy, swarm check, rate limit,
 * metrics or replication. The node's store ÷ this = what everything else the node does costs.
 *
 * With `cryptoThread`, the verify and sign run on a worker thread (bench/crypto-thread.ts), one
 * batch per event-loop turn: the crypto then keeps its tight-loop speed, and the thread CPU times
 * show what the floor costs besides its cryptography, measured rather than subtracted.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { fromBase64, fromHex, keypairFromSeed, randomBytesArray } from "@session/crypto";
import { computeMessageHash } from "@session/protocol";
import { storeResponseSignatureMessage, storeSignatureMessage } from "@session/protocol/rpc";
import { endAtTurnEnd, readIncomingLimited } from "../src/rpc/http-fast-path.ts";
import { requestVerifier, resultSigner } from "../src/rpc/node-crypto.ts";
import { MessageStore } from "../src/storage/store.ts";
import type { CryptoJob } from "./crypto-thread.ts";

interface StoreParams {
  pubkey: string;
  pubkey_ed25519: string;
  namespace: number;
  timestamp: number;
  sig_timestamp: number;
  ttl: number;
  data: string;
  signature: string;
}

export interface StorePipeline {
  url: string;
  /** CPU seconds the crypto thread has used (0 without one). */
  cryptoThreadSeconds(): Promise<number>;
}

/** Verifies and signs in this thread, or in batches on a worker thread. */
function cryptoRunner(secretKey: Uint8Array, thread: boolean) {
  if (!thread) {
    const sign = resultSigner(secretKey);
    return {
      run: async (j: CryptoJob) => (requestVerifier.verify(j.sig, j.msg, j.pk) ? sign(j.signMsg) : null),
      cpuSeconds: async () => 0,
    };
  }
  // Workers do not inherit tsx's loader: register it, then load the TypeScript worker.
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./crypto-thread.ts", import.meta.url).href;
  const worker = new Worker(
    `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`,
    { eval: true, workerData: { secretKey } },
  );
  worker.unref();
  let queue: { job: CryptoJob; resolve(sig: string | null): void }[] = [];
  const waiting = new Map<number, typeof queue>();
  let cpuWaiter: ((s: number) => void) | undefined;
  let nextId = 0;
  worker.on("message", (m: { id: number; sigs: (string | null)[] } | { cpuNs: number }) => {
    if ("cpuNs" in m) {
      cpuWaiter?.(m.cpuNs / 1e9);
      return;
    }
    const batch = waiting.get(m.id)!;
    waiting.delete(m.id);
    for (const [i, e] of batch.entries()) e.resolve(m.sigs[i]!);
  });
  return {
    run: (job: CryptoJob) =>
      new Promise<string | null>((resolve) => {
        queue.push({ job, resolve });
        if (queue.length > 1) return;
        setImmediate(() => {
          const batch = queue;
          queue = [];
          const id = nextId++;
          waiting.set(id, batch);
          worker.postMessage({ id, jobs: batch.map((e) => e.job) });
        });
      }),
    cpuSeconds: () =>
      new Promise<number>((resolve) => {
        cpuWaiter = resolve;
        worker.postMessage({ cpu: true });
      }),
  };
}

export async function startStorePipeline(
  dbPath: string,
  opts: { cryptoThread?: boolean } = {},
): Promise<StorePipeline> {
  const store = MessageStore.open(dbPath);
  const nodeKeys = keypairFromSeed(randomBytesArray(32));
  const crypto = cryptoRunner(nodeKeys.ed25519.secretKey, opts.cryptoThread ?? false);
  const swarmKey = Buffer.from(nodeKeys.ed25519.publicKey).toString("hex");
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readIncomingLimited(req, 10 << 20);
      const p = (JSON.parse(raw.toString("utf8")) as { params: StoreParams }).params;
      const data = fromBase64(p.data);
      // The hash comes first so the entry can be signed in the same crypto step as the verify.
      const hash = computeMessageHash(p.pubkey, p.namespace, data);
      const signature = await crypto.run({
        sig: fromBase64(p.signature),
        msg: storeSignatureMessage(p.namespace, p.sig_timestamp),
        pk: fromHex(p.pubkey_ed25519),
        signMsg: storeResponseSignatureMessage(hash),
      });
      if (signature === null) throw new Error("bad signature");
      const expiry = p.timestamp + p.ttl;
      store.storeInBatch({
        hash,
        owner: p.pubkey,
        namespace: p.namespace,
        timestamp: p.timestamp,
        expiry,
        data,
      });
      await store.durable();
      const json = JSON.stringify({
        swarm: { [swarmKey]: { hash, signature, expiry } },
        hash,
        t: Date.now(),
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
      endAtTurnEnd(res, json);
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  server.unref();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cryptoThreadSeconds: crypto.cpuSeconds,
  };
}
