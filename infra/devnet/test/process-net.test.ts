import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ProcessNet, startProcessNet } from "../src/process-net.ts";

const dir = mkdtempSync(join(tmpdir(), "devnet-proc-"));
let net: ProcessNet | undefined;
afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const health = async (url: string) => {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as { pubkey_ed25519: string; swarm: string | null };
  } catch {
    return undefined;
  }
};

describe("process network (nodes as separate processes)", () => {
  it("runs each node as its own process; SIGKILL takes it down, start brings back the same node", async () => {
    net = await startProcessNet({ nodes: 3, dataDir: dir });
    const [a, b] = net.nodes;
    const before = await health(a!.url);
    expect(before?.pubkey_ed25519).toBe(a!.info.pubkey_ed25519);
    expect((await health(b!.url))?.pubkey_ed25519).toBe(b!.info.pubkey_ed25519);

    await a!.kill();
    expect(a!.running).toBe(false);
    expect(await health(a!.url)).toBeUndefined();
    expect((await health(b!.url))?.pubkey_ed25519).toBe(b!.info.pubkey_ed25519);

    await a!.start();
    expect(a!.running).toBe(true);
    // Same keys, port and registry entry after the restart.
    expect((await health(a!.url))?.pubkey_ed25519).toBe(a!.info.pubkey_ed25519);
  }, 120_000);
});
