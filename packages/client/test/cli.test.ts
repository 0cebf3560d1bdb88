import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("session-cli", { nodes: 12, pushServer: false });
const { dir, session } = net;

describe("session CLI against the devnet", () => {
  it("id new/show/restore, send, listen and nodes", async () => {
    const a = join(dir, "alice");
    const b = join(dir, "bob");
    const created = await session(["id", "new"], a);
    expect(created.code).toBe(0);
    const aliceId = /Session ID:\s+(05[0-9a-f]{64})/.exec(created.stdout)![1]!;
    const phrase = /Recovery phrase: (.+)/.exec(created.stdout)![1]!;
    expect((await session(["id", "show"], a)).stdout.trim()).toBe(aliceId);
    expect((await session(["id", "new"], a)).code).toBe(1); // refuses to overwrite
    const restored = await session(["id", "restore", ...phrase.split(" ")], join(dir, "alice2"));
    expect(restored.stdout).toContain(aliceId);

    const bobId = await net.newSessionId(b);
    const sent = await session(["send", bobId, "hello", "from", "the", "cli"], a);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^sent [A-Za-z0-9+/]{43}/);
    expect(sent.stderr).toContain("3-hop onion path");
    const listened = await session(["listen", "--timeout", "3"], b);
    expect(listened.stdout).toContain(`${aliceId} (request): hello from the cli`);

    // A file: encrypted, uploaded through an onion path, saved by the listener.
    const file = join(dir, "report.txt");
    writeFileSync(file, "quarterly numbers\n".repeat(1000));
    const fsArgs = [
      "--file-server",
      net.devnet.fileServer!.url,
      "--file-server-key",
      net.devnet.fileServer!.x25519,
    ];
    const withFile = await session(["send", bobId, "the report", "--file", file, ...fsArgs], a);
    expect(withFile.code).toBe(0);
    expect(withFile.stderr).toContain("uploading");
    const gotFile = await session(["listen", "--timeout", "3", ...fsArgs], b);
    expect(gotFile.stdout).toContain("the report");
    expect(gotFile.stdout).toContain("saved");
    expect(readFileSync(join(b, "downloads", "report.txt"), "utf8")).toBe(readFileSync(file, "utf8"));

    const nodes = await session(["nodes"], a);
    expect(nodes.stdout).toContain("12 nodes in 2 swarms");
  }, 120_000);

  it("friendly errors", async () => {
    const r = await session(["send", "not-an-id", "x"], join(dir, "nobody"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: no identity/);
    const bad = await session(["id", "restore", "abbey", "abbey"], join(dir, "x"));
    expect(bad.stderr).toMatch(/^error: recovery phrase must have 13 words/);
    // The devnet's nodes serve HTTPS: its seed must be pinned, and to its own certificate.
    expect(net.devnet.seed).toMatch(/^https:\/\/127\.0\.0\.1:\d+#sha256=[0-9A-F:]{95}$/);
    const unpinned = await session(["nodes"], join(dir, "x"), net.devnet.seedUrl);
    expect(unpinned.code).toBe(1);
    expect(unpinned.stderr).toMatch(/^error: https seed .* has no certificate pin/);
    const otherPin = net.devnet.seeds[1]!.split("#")[1]!;
    const wrongPin = await session(["nodes"], join(dir, "x"), `${net.devnet.seedUrl}#${otherPin}`);
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.stderr).toMatch(/does not match its pin/);
  }, 60_000);
});
