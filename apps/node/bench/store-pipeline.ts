/*
 * The store pipeline floor: the least a store can cost on this stack. A bare node:http server that
 * does only the steps no store can skip, with the node's own parts — read the body, JSON.parse,
 * decode base64/hex, Ed25519 verify (the node's verifier), the message hash, one SQLite insert
 * through MessageStore's group commit (the same file, pragmas and schema), Ed25519 sign of the
 * swarm entry, the JSON reply at turn end. No validation, auth policy, swarm check, rate limit,
 * metrics or replication. The node's store ÷ this = what everything else the node does costs.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fromBase64, fromHex, keypairFromSeed, randomBytesArray } from "@session/crypto";
import { computeMessageHash, storeResponseSignatureMessage, storeSignatureMessage } from "@session/protocol";
import { endAtTurnEnd, readIncomingLimited } from "../src/rpc/http-fast-path.ts";
import { requestVerifier, resultSigner } from "../src/rpc/node-crypto.ts";
import { MessageStore } from "../src/storage/store.ts";

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

export async function startStorePipeline(dbPath: string): Promise<string> {
  const store = MessageStore.open(dbPath);
  const nodeKeys = keypairFromSeed(randomBytesArray(32));
  const sign = resultSigner(nodeKeys.ed25519.secretKey);
  const swarmKey = Buffer.from(nodeKeys.ed25519.publicKey).toString("hex");
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readIncomingLimited(req, 10 << 20);
      const p = (JSON.parse(raw.toString("utf8")) as { params: StoreParams }).params;
      const data = fromBase64(p.data);
      const ok = requestVerifier.verify(
        fromBase64(p.signature),
        storeSignatureMessage(p.namespace, p.sig_timestamp),
        fromHex(p.pubkey_ed25519),
      );
      if (!ok) throw new Error("bad signature");
      const hash = computeMessageHash(p.pubkey, p.namespace, data);
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
        swarm: { [swarmKey]: { hash, signature: sign(storeResponseSignatureMessage(hash)), expiry } },
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
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
