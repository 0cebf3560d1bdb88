import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { startNode } from "../src/node.ts";
import { writeRegistryFile } from "../src/swarm/membership.ts";
import { nodeConfig, silent, TestNet } from "./helpers/node-net.ts";

const net = new TestNet();
afterAll(() => net.stop());

describe("operator features", () => {
  it("serves HTTPS with a self-signed certificate generated once and kept", async () => {
    const dataDir = join(net.dir, "tls-node");
    const registry = join(net.dir, "tls-registry.json");
    await writeRegistryFile(registry, []);
    const cfg = { ...nodeConfig(dataDir, registry), http: false };
    const node = await startNode(cfg, { logger: silent });
    expect(node.url.startsWith("https://")).toBe(true);
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    const res = await undiciFetch(`${node.url}/metrics`, { dispatcher: agent });
    expect(res.status).toBe(200);
    // Plain clients that verify certificates refuse it: nodes are trusted by key, not by TLS.
    await expect(fetch(`${node.url}/metrics`)).rejects.toThrow();
    const cert = readFileSync(join(dataDir, "tls.crt"), "utf8");
    await node.stop();
    const again = await startNode(cfg, { logger: silent });
    expect(readFileSync(join(dataDir, "tls.crt"), "utf8")).toBe(cert);
    expect(existsSync(join(dataDir, "node.seed"))).toBe(true);
    expect(again.info.pubkey_ed25519).toBe(node.info.pubkey_ed25519);
    await again.stop();
    await agent.close();
  });

  it("limits request bodies (413) and rates per client (429)", async () => {
    await writeRegistryFile(net.registry, []);
    const node = await startNode(
      {
        ...nodeConfig(join(net.dir, "limits"), net.registry),
        maxBodyBytes: 2048,
        rateLimit: { perSecond: 1, burst: 3 },
      },
      { logger: silent },
    );
    const post = (body: string) =>
      fetch(`${node.url}/storage_rpc/v1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const big = await post(JSON.stringify({ method: "info", params: {}, pad: "x".repeat(4096) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await post(JSON.stringify({ method: "info", params: {} }))).status);
    expect(codes.at(-1)).toBe(429);
    await node.stop();
  });
});
