import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateSeed, keypairFromSeed, signNodeRegistration, toHex } from "@session/crypto";
import { afterEach, describe, expect, it } from "vitest";
import { httpRegistry, Membership } from "./membership.ts";

const chain = { chain_id: "421614", registry: `0x${"aa".repeat(20)}` };
const operator = `0x${"0b".repeat(20)}`;

function entry(port: number, signer?: Uint8Array) {
  const k = keypairFromSeed(generateSeed());
  const sig = signNodeRegistration(signer ?? k.ed25519.secretKey, {
    chainId: 421614n,
    registry: chain.registry,
    operator,
    ed25519: k.ed25519.publicKey,
    x25519: k.x25519.publicKey,
    ip: 0x7f000001,
    port,
  });
  return {
    pubkey_ed25519: toHex(k.ed25519.publicKey),
    pubkey_x25519: toHex(k.x25519.publicKey),
    public_ip: "127.0.0.1",
    storage_port: port,
    swarm_id: "0",
    operator,
    registration_signature: `0x${toHex(sig)}`,
  };
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** An indexer whose answer the test changes between loads: a body, or an HTTP status. */
async function serveChanging(): Promise<{ url: string; set(answer: unknown): void }> {
  let answer: unknown = 503;
  server = createServer((_req, res) => {
    if (typeof answer === "number") {
      res.writeHead(answer).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (a) => {
      answer = a;
    },
  };
}

async function serve(body: unknown): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("httpRegistry key proofs", () => {
  it("keeps entries whose proof verifies and drops the others (wrong key, wrong endpoint)", async () => {
    const good = entry(22021);
    const forged = entry(22022, keypairFromSeed(generateSeed()).ed25519.secretKey);
    const moved = { ...entry(22023), storage_port: 22024 };
    const url = await serve({ ...chain, height: 1, nodes: [good, forged, moved] });
    let refused = 0;
    const nodes = await httpRegistry(url, {
      onRefused: (n) => {
        refused = n;
      },
    }).load();
    expect(nodes.map((n) => n.pubkey_ed25519)).toEqual([good.pubkey_ed25519]);
    expect(nodes[0]).not.toHaveProperty("registration_signature");
    expect(refused).toBe(2);
  });

  it("refuses an indexer that follows another chain or registry than configured", async () => {
    const url = await serve({ ...chain, height: 1, nodes: [entry(22021)] });
    await expect(httpRegistry(url, { chainId: 1n }).load()).rejects.toThrow(/chain 421614/);
    await expect(httpRegistry(url, { registryAddress: `0x${"bb".repeat(20)}` }).load()).rejects.toThrow(
      /expected 0xbb/,
    );
    expect(
      await httpRegistry(url, { chainId: 421614n, registryAddress: chain.registry }).load(),
    ).toHaveLength(1);
  });

  it("reports the chain height /v1/nodes was read at (oxenss's info/ifelse height)", async () => {
    const url = await serve({ ...chain, height: 777, nodes: [entry(22021), entry(22022)] });
    const reg = httpRegistry(url);
    expect(reg.height?.()).toBeUndefined();
    expect(await reg.load()).toHaveLength(2);
    expect(reg.height?.()).toBe(777);
  });
});

describe("httpRegistry while the indexer fails", () => {
  it("refuses a list older than the one held, and keeps its height", async () => {
    const indexer = await serveChanging();
    const registry = httpRegistry(indexer.url);
    const a = entry(22031);
    const b = entry(22032);
    indexer.set({ ...chain, height: 100, nodes: [a, b] });
    expect(await registry.load()).toHaveLength(2);
    expect(registry.height?.()).toBe(100);
    // An indexer restarted on an empty database, or mid-rollback: fewer nodes at a lower height.
    indexer.set({ ...chain, height: 40, nodes: [] });
    await expect(registry.load()).rejects.toThrow(/block 40, older than the list held \(block 100\)/);
    expect(registry.height?.()).toBe(100);
    indexer.set({ ...chain, height: 100, nodes: [a] });
    expect(await registry.load()).toHaveLength(1);
    indexer.set({ ...chain, height: 101, nodes: [a, b] });
    expect(await registry.load()).toHaveLength(2);
    expect(registry.height?.()).toBe(101);
  });

  it("a list refused for another reason does not move the height on", async () => {
    const indexer = await serveChanging();
    const registry = httpRegistry(indexer.url, { chainId: 421614n });
    indexer.set({ ...chain, height: 10, nodes: [entry(22041)] });
    await registry.load();
    indexer.set({ ...chain, chain_id: "1", height: 500, nodes: [] });
    await expect(registry.load()).rejects.toThrow(/chain 1, expected 421614/);
    expect(registry.height?.()).toBe(10);
    indexer.set({ ...chain, height: 11, nodes: [entry(22042)] });
    expect(await registry.load()).toHaveLength(1);
  });

  it("the membership keeps the last good registry through errors, bad bodies and stale lists", async () => {
    const indexer = await serveChanging();
    const registry = httpRegistry(indexer.url);
    const nodes = [entry(22051), entry(22052), entry(22053)];
    const membership = new Membership(nodes[0]!.pubkey_ed25519);
    // What node.ts does on every poll: a failed load leaves the membership as it is.
    const refresh = async () => {
      try {
        return membership.update(await registry.load());
      } catch {
        return false;
      }
    };
    indexer.set({ ...chain, height: 7, nodes });
    expect(await refresh()).toBe(true);
    const held = membership
      .allNodes()
      .map((n) => n.pubkey_ed25519)
      .sort();
    expect(held).toHaveLength(3);
    for (const failure of [500, 503, { nodes: "not a list" }, { ...chain, height: 3, nodes: [] }]) {
      indexer.set(failure);
      expect(await refresh()).toBe(false);
      expect(
        membership
          .allNodes()
          .map((n) => n.pubkey_ed25519)
          .sort(),
      ).toEqual(held);
      expect(membership.mySwarm()?.members.length).toBe(3);
    }
    server!.close();
    server = undefined;
    expect(await refresh()).toBe(false);
    expect(membership.allNodes()).toHaveLength(3);
  });
});
