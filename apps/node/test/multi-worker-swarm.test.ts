import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  fromBase64,
  fromHex,
  generateSeed,
  keypairFromSeed,
  onionSealLayer,
  toHex,
  utf8Decode,
  utf8Encode,
} from "@session/crypto";
import { decodeFinalHopResponse, encodeOnionLayer, FINAL_HOP_CONTROL } from "@session/protocol/onion";
import { openHopReply } from "@session/service-kit";
import { Pool, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningNode } from "../src/node.ts";
import { writeRegistryFile } from "../src/swarm/membership.ts";
import { newAccount, retrieveParams, rpc, storeParams, TestNet } from "./helpers/node-net.ts";
import { nodeListening } from "./helpers/node-process.ts";
import { buildClientOnion } from "./helpers/onion-client.ts";

// A clustered node (src/main.ts, two workers) in a swarm with one other node. Its workers commit
// the clients' stores themselves; the owner, which holds the links to the peers, sends each on.
// The reply carries the peer's signed entry, and the peer holds the message. Onion requests are
// served by the workers too: a final hop runs on the worker's storage RPC, a relay goes over the
// worker's own node link to the next node.
let net: TestNet;
let peer: RunningNode;
let child: ChildProcess;
let url: string;
let selfHex: string;
let selfKeys: { ed25519: Uint8Array; x25519: Uint8Array };
const logs: string[] = [];

beforeAll(async () => {
  net = new TestNet();
  [peer] = (await net.start(1)) as [RunningNode];
  const seed = generateSeed();
  const dataDir = join(net.dir, "clustered");
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, "node.seed"), `${toHex(seed)}\n`, { mode: 0o600 });
  const keys = keypairFromSeed(seed);
  selfHex = toHex(keys.ed25519.publicKey);
  selfKeys = { ed25519: keys.ed25519.publicKey, x25519: keys.x25519.publicKey };
  // The peer reaches the clustered node only if it asks (catch-up); nothing here needs it to.
  await writeRegistryFile(net.registry, [
    peer.info,
    {
      pubkey_ed25519: selfHex,
      pubkey_x25519: toHex(keys.x25519.publicKey),
      public_ip: "127.0.0.1",
      storage_port: 1,
    },
  ]);
  await peer.refreshRegistry();
  child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../src/main.ts")], {
    env: {
      PATH: process.env.PATH ?? "",
      SESSION_NODE_DATA_DIR: dataDir,
      SESSION_NODE_HTTP: "1",
      SESSION_NODE_WORKERS: "2",
      PORT: "0",
      REGISTRY_FILE: net.registry,
      RATE_LIMIT_PER_SECOND: "100000",
      RATE_LIMIT_BURST: "100000",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  url = await nodeListening(child, logs, 90_000);
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  await net.stop();
});

async function call(method: string, params: unknown) {
  const res = await request(`${url}/storage_rpc/v1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method, params }),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    worker: res.headers["x-session-node-worker"],
    // biome-ignore lint/suspicious/noExplicitAny: tests read RPC bodies field by field
    body: (res.statusCode === 200 ? JSON.parse(text) : text) as any,
  };
}

describe("a clustered node in a swarm", () => {
  it("sees the peer in its swarm", async () => {
    const a = newAccount();
    const r = await call("get_swarm", { pubkey: a.sessionId });
    expect(r.status).toBe(200);
    expect((r.body.snodes as { pubkey_ed25519: string }[]).map((s) => s.pubkey_ed25519).sort()).toEqual(
      [selfHex, peer.info.pubkey_ed25519].sort(),
    );
  });

  it("commits a store in a worker and sends it on to the peer, whose signed entry is in the reply", async () => {
    const accounts = Array.from({ length: 4 }, () => newAccount());
    // Concurrent: a worker's stores of one turn go to the owner together.
    const stores = await Promise.all(
      Array.from({ length: 24 }, (_, i) => call("store", storeParams(accounts[i % 4]!, `message ${i}`))),
    );
    for (const s of stores) {
      expect(s.status).toBe(200);
      expect(s.worker).toBeDefined(); // answered by a worker, which committed it
      const own = s.body.swarm[selfHex];
      const theirs = s.body.swarm[peer.info.pubkey_ed25519];
      expect(own.hash).toBe(s.body.hash);
      expect(own.t).toBeTypeOf("number");
      expect(theirs.hash).toBe(s.body.hash);
      expect(theirs.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
      expect(theirs.signature).not.toBe(own.signature);
    }
    // The peer holds every message, each account's in the order it took them.
    for (const [i, acct] of accounts.entries()) {
      const held = await rpc(peer.url, "retrieve", retrieveParams(acct));
      expect(held.status).toBe(200);
      const hashes = (held.body as { messages: { hash: string }[] }).messages.map((m) => m.hash).sort();
      const mine = stores.filter((_, j) => j % 4 === i).map((s) => s.body.hash as string);
      expect(hashes).toEqual(mine.sort());
    }
  }, 60_000);

  it("answers an onion request to itself in a worker, a store through it included", async () => {
    const acct = newAccount();
    // One layer, this node its own destination (as clients reach their swarm's nodes).
    const payload = utf8Encode(JSON.stringify({ method: "store", params: storeParams(acct, "via onion") }));
    const sealed = onionSealLayer(encodeOnionLayer(payload, FINAL_HOP_CONTROL), selfKeys.x25519, "xchacha20");
    const meta = { enc_type: "xchacha20", ephemeral_key: toHex(sealed.ephemeralPublicKey) };
    const res = await request(`${url}/onion_req/v2`, {
      method: "POST",
      body: encodeOnionLayer(sealed.ciphertext, meta),
    });
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-session-node-worker"]).toBeDefined();
    const opened = openHopReply("xchacha20", fromBase64(text), sealed.keys);
    const reply = decodeFinalHopResponse(utf8Decode(opened)) as {
      status: number;
      body: { hash: string; swarm: object };
    };
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body.swarm).sort()).toEqual([selfHex, peer.info.pubkey_ed25519].sort());
    const held = await call("retrieve", retrieveParams(acct));
    expect(held.body.messages.map((m: { hash: string }) => m.hash)).toEqual([reply.body.hash]);
  }, 30_000);

  it("relays onion requests from a worker to the next node over one node link of its own", async () => {
    const linksIn = async () => {
      const text = await (await request(`${peer.url}/metrics`)).body.text();
      return Number(/session_node_node_links\{direction="in"\} (\d+)/.exec(text)?.[1]);
    };
    const before = await linksIn();
    // One keep-alive connection, so one worker relays all of them.
    const worker = new Pool(url, { connections: 1 });
    const workers = new Set<unknown>();
    try {
      for (let i = 0; i < 4; i++) {
        const onion = buildClientOnion({
          payload: utf8Encode(JSON.stringify({ method: "info", params: {} })),
          destination: {
            kind: "node",
            ed25519: fromHex(peer.info.pubkey_ed25519),
            x25519: fromHex(peer.info.pubkey_x25519),
          },
          hops: [selfKeys],
          encType: "aes-gcm",
        });
        const res = await worker.request({ path: "/onion_req/v2", method: "POST", body: onion.request });
        const bytes = new Uint8Array(await res.body.arrayBuffer());
        expect(res.statusCode).toBe(200);
        workers.add(res.headers["x-session-node-worker"]);
        const reply = onion.openJson(bytes) as { status: number; body: { version: number[] } };
        expect(reply.status).toBe(200);
        expect(reply.body.version).toEqual(expect.any(Array));
      }
    } finally {
      await worker.close();
    }
    expect(workers.size).toBe(1);
    expect([...workers][0]).toBeDefined();
    // The worker opened a link to the peer for the first and sent the others over it too.
    expect(await linksIn()).toBe(before + 1);
  }, 30_000);
});
