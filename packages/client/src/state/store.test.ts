import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryClientStore } from "./memory-store.ts";
import { openSqliteStore, statePath } from "./sqlite-store.ts";
import type { ClientStore } from "./store.ts";

const dir = mkdtempSync(join(tmpdir(), "client-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const alice = `05${"a1".repeat(32)}`;
const bob = `05${"b2".repeat(32)}`;
const node = { pubkey_ed25519: "ab".repeat(32) } as never;

// Both stores keep the same contract.
describe.each([
  ["sqlite", () => openSqliteStore(join(dir, `s-${Math.random()}`), alice) as ClientStore],
  ["memory", () => new MemoryClientStore() as ClientStore],
])("%s store", (_name, open) => {
  it("keeps last hashes per node and namespace, and seen hashes until they expire", async () => {
    const s = open();
    await s.setLastHash("n1", 0, "h1");
    await s.setLastHash("n1", 0, "h2");
    await s.setLastHash("n1", 5, "x");
    expect(await s.lastHash("n1", 0)).toBe("h2");
    expect(await s.lastHash("n1", 5)).toBe("x");
    expect(await s.lastHash("n2", 0)).toBeUndefined();
    expect(await s.markSeen("m1", 100)).toBe(true);
    expect(await s.markSeen("m1", 100)).toBe(false);
    expect(await s.markSeen("m2", 300)).toBe(true);
    await s.pruneSeen(200);
    expect(await s.markSeen("m1", 100)).toBe(true); // forgotten after its expiry
    expect(await s.markSeen("m2", 300)).toBe(false);
    await s.close();
  });

  it("keeps conversations, blocked IDs, the node cache, the clock offset and app values", async () => {
    const s = open();
    await s.putConversation({
      sessionId: bob,
      approved: false,
      approvedMe: true,
      createdAt: 2,
      lastMessageAt: 3,
    });
    await s.putConversation({
      sessionId: alice,
      approved: true,
      approvedMe: false,
      name: "A",
      createdAt: 1,
      lastMessageAt: 1,
    });
    expect((await s.conversations()).map((c) => c.sessionId)).toEqual([alice, bob]);
    expect(await s.conversation(bob)).toEqual({
      sessionId: bob,
      approved: false,
      approvedMe: true,
      createdAt: 2,
      lastMessageAt: 3,
    });
    await s.deleteConversation(bob);
    expect(await s.conversation(bob)).toBeUndefined();
    await s.setBlocked(bob, true);
    await s.setBlocked(bob, true);
    expect(await s.isBlocked(bob)).toBe(true);
    expect(await s.blocked()).toEqual([bob]);
    await s.setBlocked(bob, false);
    expect(await s.isBlocked(bob)).toBe(false);
    await s.saveNodeCache({ nodes: [node], savedAt: 42 });
    expect(await s.nodeCache()).toEqual({ nodes: [node], savedAt: 42 });
    await s.setClockOffset(-300_000);
    expect(await s.clockOffset()).toBe(-300_000);
    expect(await s.configDump("Contacts")).toBeUndefined();
    await s.saveConfigDump("Contacts", { message: "64", needsPush: true });
    expect(await s.configDump("Contacts")).toEqual({ message: "64", needsPush: true });
    // Config dumps are not app values.
    expect(await s.keys("")).toEqual([]);
    await s.setValue("subs/1", { a: 1 });
    await s.setValue("subs/2", [2]);
    await s.setValue("subz", 3);
    expect(await s.keys("subs/")).toEqual(["subs/1", "subs/2"]);
    expect(await s.getValue("subs/2")).toEqual([2]);
    await s.deleteValue("subs/1");
    expect(await s.keys("subs/")).toEqual(["subs/2"]);
    await s.close();
  });
});

describe("sqlite store file", () => {
  it("is one file per identity, 0600, and keeps its state across reopening", async () => {
    const d = join(dir, "persist");
    const s = openSqliteStore(d, alice);
    await s.putConversation({
      sessionId: bob,
      approved: true,
      approvedMe: true,
      createdAt: 1,
      lastMessageAt: 1,
    });
    await s.close();
    expect(statSync(statePath(d, alice)).mode & 0o777).toBe(0o600);
    expect(statePath(d, alice)).not.toBe(statePath(d, bob));
    const again = openSqliteStore(d, alice);
    expect((await again.conversation(bob))?.approved).toBe(true);
    await again.close();
  });
});
