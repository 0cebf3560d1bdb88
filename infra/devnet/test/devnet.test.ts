import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedHttp } from "@session/node-tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Devnet, startDevnet } from "../src/index.ts";

describe("startDevnet", () => {
  let devnet: Devnet;
  const dir = mkdtempSync(join(tmpdir(), "devnet-"));
  const steps: string[] = [];
  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 12, dataDir: dir, onProgress: (s) => steps.push(s) });
  }, 120_000);
  afterAll(async () => {
    await devnet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers 12 staked nodes on-chain, all listed by the indexer, in swarms", async () => {
    expect(steps.at(-1)).toBe("push server up (log notifier)");
    const res = await fetch(`${devnet.indexerUrl}/v1/nodes`);
    const body = (await res.json()) as { nodes: { pubkey_ed25519: string }[] };
    expect(body.nodes.map((x) => x.pubkey_ed25519).sort()).toEqual(
      devnet.nodes.map((x) => x.pubkeyEd25519).sort(),
    );
    const swarms = new Set(devnet.status().map((x) => x.swarm));
    expect(swarms.has(null)).toBe(false);
    expect(swarms.size).toBe(2);
  });

  it("prints the contract addresses and writes the deployment file the indexer started from", () => {
    const file = JSON.parse(readFileSync(devnet.deploymentFile, "utf8"));
    expect(devnet.deploymentFile).toBe(join(dir, "deployments", "devnet.json"));
    expect(file).toEqual({ ...devnet.deployment, network: "devnet" });
    expect(file.blocks.serviceNodeRegistry).toBeGreaterThanOrEqual(file.deploymentBlock);
    const printed = steps.find((s) => s.includes(devnet.deployment.serviceNodeRegistry));
    expect(printed).toContain(devnet.deployment.sesh);
    expect(printed).toContain(devnet.deployment.sessionNameService);
  });

  it("every node and the file server are healthy", async () => {
    for (const n of devnet.nodes) {
      expect(n.url).toMatch(/^https:\/\//);
      expect((await devnet.nodeFetch(`${n.url}/health`)).status).toBe(200);
    }
    expect((await fetch(`${devnet.fileServer!.url}/health`)).status).toBe(200);
    expect((await fetch(`${devnet.pushServer!.url}/health`)).status).toBe(200);
    expect(devnet.fileServer!.x25519).toMatch(/^[0-9a-f]{64}$/);
  });

  it("serves its nodes over HTTPS with self-signed certificates, the seed pinned to its own", async () => {
    // A certificate-checking fetch refuses the nodes: only the node dispatcher reaches them.
    const refused = await fetch(`${devnet.seedUrl}/health`).then(
      () => undefined,
      (e: unknown) => e as { cause?: { code?: string } },
    );
    expect(refused?.cause?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(devnet.nodeScheme).toBe("https");
    expect(devnet.seed.startsWith(`${devnet.seedUrl}#sha256=`)).toBe(true);
    const seed = seedHttp([devnet.seed]);
    try {
      expect((await seed.fetch(`${devnet.seedUrl}/health`)).status).toBe(200);
    } finally {
      await seed.close();
    }
    // Another node's certificate is not the seed's.
    expect(devnet.seeds[1]!.split("#")[1]).not.toBe(devnet.seed.split("#")[1]);
  });

  it("status page traces an onion request through HTTPS nodes", async () => {
    const res = await fetch(`${devnet.statusUrl}/api/trace`, { method: "POST" });
    const t = (await res.json()) as { path: { url: string }[]; status: number; hash: string };
    expect(t.status).toBe(200);
    expect(t.path).toHaveLength(3);
    for (const h of t.path) expect(h.url).toMatch(/^https:\/\//);
    expect(t.hash).not.toBe("");
  });
});

describe("startDevnet({ http: true })", () => {
  let devnet: Devnet;
  const dir = mkdtempSync(join(tmpdir(), "devnet-http-"));
  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 4, dataDir: dir, http: true, fileServer: false, pushServer: false });
  }, 120_000);
  afterAll(async () => {
    await devnet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs its nodes on plain HTTP, the seed without a pin", async () => {
    expect(devnet.nodeScheme).toBe("http");
    expect(devnet.seed).toBe(devnet.seedUrl);
    for (const n of devnet.nodes) {
      expect(n.url).toMatch(/^http:\/\//);
      expect((await fetch(`${n.url}/health`)).status).toBe(200);
    }
    const t = (await (await fetch(`${devnet.statusUrl}/api/trace`, { method: "POST" })).json()) as {
      status: number;
      path: { url: string }[];
    };
    expect(t.status).toBe(200);
    for (const h of t.path) expect(h.url).toMatch(/^http:\/\//);
  });
});
