import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBase64, generateSeed, keypairFromSeed, randomBytesArray, toHex } from "@session/crypto";
import { createLogger } from "@session/service-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MessageStore, type NewMessage } from "../storage/store.ts";
import { Membership } from "../swarm/membership.ts";
import { PEER_RPC_PATH, peerClient } from "./peer.ts";
import { Redelivery } from "./redelivery.ts";

/*
 * This node and one swarm peer: a loopback HTTP server that records the imports it is sent and
 * answers with whatever status the test sets. A real store in a temp file.
 */
const self = keypairFromSeed(generateSeed());
const peerKeys = keypairFromSeed(generateSeed());
const info = (k: typeof self, port: number) => ({
  pubkey_ed25519: toHex(k.ed25519.publicKey),
  pubkey_x25519: toHex(k.x25519.publicKey),
  public_ip: "127.0.0.1",
  storage_port: port,
  swarm_id: "0",
});

let dir: string;
let store: MessageStore;
let membership: Membership;
let server: Server;
let status: number;
let imports: { hash: string; data: string }[][];
let forwards: unknown[];
let clock: { t: number; now(): number };
let peer: ReturnType<typeof info>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "redelivery-test-"));
  store = MessageStore.open(join(dir, "db.sqlite"));
  clock = { t: 1_700_000_000_000, now: () => clock.t };
  status = 200;
  imports = [];
  forwards = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      if (req.url === PEER_RPC_PATH) {
        const p = JSON.parse(body) as {
          action: string;
          messages: { hash: string; data: string }[];
          request: unknown;
        };
        if (p.action === "import") imports.push(p.messages);
        if (p.action === "forward" && status === 200) forwards.push(p.request);
      }
      res.writeHead(status, { "content-type": "application/json" }).end('{"imported":1}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  peer = info(peerKeys, (server.address() as AddressInfo).port);
  membership = new Membership(toHex(self.ed25519.publicKey));
  membership.update([info(self, 1), peer]);
});
afterEach(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function redelivery(opts: ConstructorParameters<typeof Redelivery>[1] = {}) {
  return new Redelivery(
    {
      store,
      membership,
      peers: peerClient({ keys: self.ed25519, scheme: "http", fetch, now: () => clock.now() }),
      clock,
      logger: createLogger({ name: "test", level: "silent" }),
    },
    opts,
  );
}

let n = 0;
function stored(): NewMessage {
  const m = {
    hash: `m${n++}`.padEnd(43, "A"),
    owner: `05${toHex(randomBytesArray(32))}`,
    namespace: 0,
    timestamp: clock.now(),
    expiry: clock.now() + 3_600_000,
    data: randomBytesArray(64),
  };
  store.store(m);
  return m;
}

describe("Redelivery", () => {
  it("sends a peer the stores it missed, read from the store, as import pages", async () => {
    const r = redelivery({ page: { messages: 2, bytes: 1 << 20 } });
    const ms = [stored(), stored(), stored()];
    for (const m of ms) r.add(peer, m.hash);
    r.add(peer, ms[0]!.hash); // once is enough
    expect(r.size).toBe(3);
    expect(await r.flush()).toEqual({ delivered: 3, dropped: 0 });
    expect(r.size).toBe(0);
    expect(imports.map((p) => p.length)).toEqual([2, 1]);
    const sent = imports.flat();
    expect(sent.map((m) => m.hash)).toEqual(ms.map((m) => m.hash));
    expect(Buffer.from(fromBase64(sent[1]!.data))).toEqual(Buffer.from(ms[1]!.data));
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 0 }); // nothing left to send
  });

  it("keeps what a peer could not take (5xx, 421, unreachable) and gives up on a refusal (other 4xx)", async () => {
    const r = redelivery();
    const m = stored();
    r.add(peer, m.hash);
    status = 503;
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 0 });
    status = 421; // its registry view lags ours
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 0 });
    await new Promise<void>((done) => server.close(() => done())); // unreachable now
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 0 });
    expect(r.size).toBe(1);
    await new Promise<void>((done) => server.listen(peer.storage_port, "127.0.0.1", () => done()));
    status = 200;
    expect(await r.flush()).toEqual({ delivered: 1, dropped: 0 });
    r.add(peer, stored().hash);
    status = 400;
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 1 });
    expect(r.size).toBe(0);
  });

  it("drops messages deleted or expired meanwhile, too old to retry, or for a peer that left the swarm", async () => {
    const r = redelivery({ maxAgeMs: 60_000 });
    const deleted = stored();
    const expiring = { ...stored(), hash: "e".padEnd(43, "A") };
    store.store({ ...expiring, expiry: clock.now() + 1000 });
    r.add(peer, deleted.hash);
    r.add(peer, expiring.hash);
    store.deleteByHash([deleted.hash]);
    clock.t += 2000;
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 2 });
    expect(imports).toEqual([]);
    r.add(peer, stored().hash);
    clock.t += 61_000;
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 1 });
    r.add(peer, stored().hash);
    membership.update([info(self, 1)]); // the peer is gone from the registry
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 1 });
    expect(imports).toEqual([]);
  });

  it("holds at most maxQueued hashes, the oldest given up first", async () => {
    const r = redelivery({ maxQueued: 3 });
    const ms = Array.from({ length: 5 }, () => {
      clock.t += 1;
      const m = stored();
      r.add(peer, m.hash);
      return m;
    });
    expect(r.size).toBe(3);
    await r.flush();
    expect(imports.flat().map((m) => m.hash)).toEqual(ms.slice(2).map((m) => m.hash));
  });

  it("forwards other swarm-wide requests again, in order, while their signatures can still pass", async () => {
    const r = redelivery({ maxForwardAgeMs: 60_000 });
    const first = { method: "expire", params: { n: 1 } };
    const second = { method: "delete", params: { n: 2 } };
    r.add(peer, stored().hash);
    r.addForward(peer, first);
    r.addForward(peer, second);
    expect(r.size).toBe(3);
    status = 503;
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 0 });
    status = 200;
    expect(await r.flush()).toEqual({ delivered: 3, dropped: 0 });
    expect(forwards).toEqual([first, second]);
    r.addForward(peer, second);
    clock.t += 61_000; // the client's signature would be refused by now
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 1 });
    r.addForward(peer, first);
    status = 406;
    expect(await r.flush()).toEqual({ delivered: 0, dropped: 1 });
    expect(r.size).toBe(0);
  });
});
