import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateSeed, keypairFromSeed, signNodeRegistration, toHex } from "@session/crypto";
import { afterEach, describe, expect, it } from "vitest";
import { httpRegistry } from "./membership.ts";

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
