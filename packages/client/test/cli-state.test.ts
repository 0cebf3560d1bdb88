import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_ATTACHMENT_SIZE } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { devnetForSuite } from "./helpers.ts";
import { runSession } from "./session-cli.ts";

const net = devnetForSuite("session-cli-state", { nodes: 8, pushServer: false });
const { dir } = net;

async function session(args: string[], dataDir?: string) {
  const extra = dataDir ? ["--data-dir", dataDir, "--network", net.devnet.seed] : [];
  const fs = net.devnet.fileServer
    ? ["--file-server", net.devnet.fileServer.url, "--file-server-key", net.devnet.fileServer.x25519]
    : [];
  return runSession([...args, ...extra, ...(dataDir ? fs : [])]);
}

async function newId(name: string): Promise<{ dir: string; id: string }> {
  const d = join(dir, name);
  const r = await session(["id", "new"], d);
  return { dir: d, id: /Session ID:\s+(05[0-9a-f]{64})/.exec(r.stdout)![1]! };
}

/** `listen` until its output contains `text` (each run prints only what is new). */
async function listenFor(d: string, text: string, extra: string[] = []): Promise<string> {
  let seen = "";
  for (let i = 0; i < 10 && !seen.includes(text); i++)
    seen += (await session(["listen", "--timeout", "2", ...extra], d)).stdout;
  return seen;
}

describe("session CLI keeps state", () => {
  it("no arguments: help and a non-zero exit", { timeout: 30_000 }, async () => {
    const r = await session([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Usage: session <command>");
    expect(r.stderr).toContain("error: no command given");
  });

  it("listen prints only what is new; requests, accept, decline, block", async () => {
    const alice = await newId("alice");
    const bob = await newId("bob");
    const carol = await newId("carol");
    expect((await session(["send", bob.id, "first"], alice.dir)).code).toBe(0);
    expect(await listenFor(bob.dir, "first")).toContain(`${alice.id} (request): first`);
    expect((await session(["requests"], bob.dir)).stdout).toContain(`${alice.id}`);

    await session(["send", bob.id, "second", "--disappear", "600"], alice.dir);
    const second = await listenFor(bob.dir, "second");
    expect(second).toContain("second [disappears 600s after-send]");
    expect(second).not.toContain("first");
    const all = await listenFor(bob.dir, "second", ["--all"]);
    expect(all).toContain("first");

    expect((await session(["accept", alice.id], bob.dir)).stdout).toContain(`accepted ${alice.id}`);
    expect(await listenFor(alice.dir, "accepted")).toContain(`${bob.id} accepted your message request`);
    expect((await session(["requests"], bob.dir)).stdout).not.toContain(alice.id);
    expect((await session(["contacts"], bob.dir)).stdout).toContain(alice.id);

    await session(["send", bob.id, "carol here"], carol.dir);
    await listenFor(bob.dir, "carol here");
    expect((await session(["decline", carol.id], bob.dir)).code).toBe(0);
    expect((await session(["requests"], bob.dir)).stdout).not.toContain(carol.id);
    expect((await session(["decline", carol.id], bob.dir)).stderr).toContain(
      `error: no message request from ${carol.id}`,
    );
    expect((await session(["block", carol.id], bob.dir)).stdout).toContain(`blocked ${carol.id}`);
    await session(["send", bob.id, "carol again"], carol.dir);
    await session(["send", bob.id, "alice again"], alice.dir);
    const afterBlock = await listenFor(bob.dir, "alice again");
    expect(afterBlock).not.toContain("carol again");
    expect(afterBlock).toContain(`${alice.id}: alice again`); // a contact now, not a request
    expect((await session(["contacts"], bob.dir)).stdout).toContain(`${carol.id}  blocked`);
  }, 240_000);

  it("attachments are saved under unique names; bad input is named before anything is sent", async () => {
    const alice = await newId("alice2");
    const bob = await newId("bob2");
    const file = join(dir, "report.txt");
    writeFileSync(file, "v1");
    await session(["send", bob.id, "v1", "--file", file], alice.dir);
    writeFileSync(file, "v2");
    await session(["send", bob.id, "v2", "--file", file], alice.dir);
    const got = await listenFor(bob.dir, "v2");
    expect(got).toContain("v1");
    const saved = [
      readFileSync(join(bob.dir, "downloads", "report.txt"), "utf8"),
      readFileSync(join(bob.dir, "downloads", "report (1).txt"), "utf8"),
    ];
    expect(saved.sort()).toEqual(["v1", "v2"]);

    const missing = await session(["send", bob.id, "x", "--file", join(dir, "nope.pdf")], alice.dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: file not found: ${join(dir, "nope.pdf")}\n`);
    const big = join(dir, "big.bin");
    writeFileSync(big, new Uint8Array(MAX_ATTACHMENT_SIZE + 1));
    const tooBig = await session(["send", bob.id, "x", "--file", big], alice.dir);
    expect(tooBig.stderr).toContain(`error: attachment too large: ${big}`);
    expect(tooBig.stderr).not.toContain("uploading");
    const badId = await session(["send", `06${"ab".repeat(32)}`, "x"], alice.dir);
    expect(badId.stderr).toContain("error: not a Session ID");
    // A URL that answers, but not as a node (the file server): named as such.
    const fresh = await newId("fresh");
    const fsUrl = net.devnet.fileServer!.url.replace(/\/$/, "");
    const notSeed = await session(["listen", "--timeout", "1", "--data-dir", fresh.dir, "--network", fsUrl]);
    expect(notSeed.code).toBe(1);
    expect(notSeed.stderr).toContain(`error: not a seed node: ${fsUrl} (HTTP 404`);
  }, 180_000);
});
