import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("session-group-cli", { nodes: 12, fileServer: false, pushServer: false });
const { dir, session } = net;

async function until(what: string, f: () => Promise<boolean>, timeoutMs = 30_000) {
  await vi.waitFor(
    async () => {
      if (!(await f())) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 200 },
  );
}

describe("session group CLI", () => {
  it("create, invite, accept, members, send, read, promote, remove, leave", async () => {
    const [a, b, c] = ["alice", "bob", "carol"].map((n) => join(dir, n)) as [string, string, string];
    const ids: string[] = [];
    for (const d of [a, b, c]) {
      ids.push(await net.newSessionId(d));
    }
    const [, bobId, carolId] = ids as [string, string, string];
    const created = await session(["group", "create", "CLI", "friends"], a);
    expect(created.code).toBe(0);
    const gid = created.stdout.trim();
    expect(gid).toMatch(/^03[0-9a-f]{64}$/);
    expect(statSync(join(a, "groups.json")).mode & 0o777).toBe(0o600);
    expect((await session(["group", "invite", gid, bobId, carolId], a)).stdout).toContain("invited 2");
    for (const d of [b, c]) {
      await until("invitation", async () => (await session(["group", "accept"], d)).stdout.includes(gid));
      expect((await session(["group", "accept", gid], d)).stdout).toContain('joined "CLI friends"');
    }
    expect((await session(["group", "send", gid, "hello", "group"], b)).stdout).toMatch(/^sent /);
    await until("message", async () =>
      (await session(["group", "read", gid], c)).stdout.includes(`${bobId}: hello group`),
    );
    const members = await session(["group", "members", gid], c);
    expect(members.stdout).toContain("CLI friends");
    expect(members.stdout).toContain(`${carolId}`);
    expect((await session(["group", "promote", gid, bobId], a)).stdout).toContain("promoted");
    const removed = await session(["group", "remove", gid, carolId], a);
    expect(removed.stdout).toContain("new key generation 1");
    const refused = await session(["group", "read", gid], c);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refused our credentials");
    expect((await session(["group", "leave", gid], b)).stdout).toContain("left");
    const bad = await session(["group", "invite", gid, "nope"], a);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error: .*05 Session IDs/);
  }, 240_000);
});
