import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  it("every node and the file server are healthy", async () => {
    for (const n of devnet.nodes) {
      expect(n.url).toMatch(/^https:\/\//);
      expect((await devnet.nodeFetch(`${n.url}/health`)).status).toBe(200);
    }
    expect((await fetch(`${devnet.fileServer!.url}/health`)).status).toBe(200);
    expect((await fetch(`${devnet.pushServer!.url}/health`)).status).toBe(200);
    expect(devnet.fileServer!.x25519).toMatch(/^[0-9a-f]{64}$/);
  });
});
