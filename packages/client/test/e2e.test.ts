import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  ClientError,
  createIdentity,
  type IncomingMessage,
  loadIdentity,
  restoreIdentity,
  SessionClient,
  saveIdentity,
} from "../src/index.ts";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("client-e2e", { nodes: 12, fileServer: false, pushServer: false });
const { dir } = net;

async function connected(identity = createIdentity()) {
  const c = new SessionClient({ identity, seeds: [net.devnet.seed] });
  await c.connect();
  return c;
}

/** Alice and Bob, connected; `bobsDevice()` connects another device of Bob's account. */
async function aliceAndBob() {
  const alice = await connected();
  const bobIdentity = createIdentity();
  const bob = await connected(bobIdentity);
  return { alice, bob, bobsDevice: () => connected(restoreIdentity(bobIdentity.recoveryPhrase)) };
}

/** Polls the inbox until a message matching `pred` has arrived (the condition, not a time). */
function waitForMessage(c: SessionClient, pred: (m: IncomingMessage) => boolean, timeoutMs = 10_000) {
  return vi.waitFor(
    async () => {
      const got = (await c.poll()).find(pred);
      if (!got) throw new Error("message did not arrive");
      return got;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

describe("identity", () => {
  it("saves the seed 0600 and restores the same Session ID from the phrase", () => {
    const id = createIdentity();
    const path = saveIdentity(join(dir, "id1"), id);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadIdentity(join(dir, "id1")).sessionId).toBe(id.sessionId);
    expect(restoreIdentity(id.recoveryPhrase).sessionId).toBe(id.sessionId);
    expect(id.recoveryPhrase.split(" ")).toHaveLength(13);
    expect(() => saveIdentity(join(dir, "id1"), id)).toThrow(ClientError);
    expect(() => loadIdentity(join(dir, "nobody"))).toThrowError(
      expect.objectContaining({ code: "NO_IDENTITY" }),
    );
  });
});

describe("messaging through 3-hop onion paths on a 12-node devnet", () => {
  it("two identities exchange messages both ways; first contact is a message request", async () => {
    const alice = await connected();
    const bob = await connected();
    await alice.sendText(bob.sessionId, "hi bob");
    const m1 = await waitForMessage(bob, (m) => m.text === "hi bob");
    expect(m1.from).toBe(alice.sessionId);
    expect(m1.isRequest).toBe(true);
    await bob.sendText(alice.sessionId, "hi alice");
    const m2 = await waitForMessage(alice, (m) => m.text === "hi alice");
    expect(m2.from).toBe(bob.sessionId);
    expect(m2.isRequest).toBe(false); // alice wrote first
    await alice.sendText(bob.sessionId, "again");
    expect((await waitForMessage(bob, (m) => m.text === "again")).isRequest).toBe(false);
    // Every request went through a 3-node path.
    expect(alice.transport.currentPath()).toHaveLength(3);
    expect(new Set(alice.transport.currentPath()!.map((n) => n.pubkey_ed25519)).size).toBe(3);
  }, 60_000);

  it("messages still arrive when a node of the recipient's swarm is down", async () => {
    const alice = await connected();
    const bob = await connected();
    const swarm = bob.pool.swarmOf(bob.sessionId);
    // Not the seed node: the later tests bootstrap their clients from it.
    const victim = net.devnet.nodes.find(
      (n) => n.url !== net.devnet.seedUrl && swarm.some((m) => m.pubkey_ed25519 === n.pubkeyEd25519),
    )!;
    await victim.node.stop();
    for (let i = 0; i < 5; i++) await alice.sendText(bob.sessionId, `while down ${i}`);
    const got = new Set<string>();
    const until = Date.now() + 20_000;
    while (got.size < 5 && Date.now() < until) {
      for (const m of await bob.poll().catch(() => [])) if (m.text) got.add(m.text);
    }
    expect([...got].sort()).toEqual([0, 1, 2, 3, 4].map((i) => `while down ${i}`));
  }, 60_000);

  it("a disappearing message is gone after its timer", async () => {
    const { alice, bob, bobsDevice } = await aliceAndBob();
    await alice.sendText(bob.sessionId, "read me once", { disappear: { type: "after-read", seconds: 1 } });
    const m = await waitForMessage(bob, (x) => x.text === "read me once");
    expect(m.expiration).toEqual({ type: "after-read", seconds: 1 });
    // Before it is read, another device of bob's still finds it.
    const before = await bobsDevice();
    expect((await before.poll()).map((x) => x.text)).toContain("read me once");
    await bob.markRead(m);
    // Marking it read shortened its expiry to 1 s: it is gone once the swarm's expiry passes.
    // A fresh device each time: a device's poll returns only what is new to it.
    const freshDevicePoll = async () => (await (await bobsDevice()).poll()).map((x) => x.text);
    await expect.poll(freshDevicePoll, { timeout: 15_000, interval: 200 }).not.toContain("read me once");
  }, 60_000);

  it("a restored identity on a second device receives the same messages", async () => {
    const { alice, bob, bobsDevice } = await aliceAndBob();
    await alice.sendText(bob.sessionId, "to both devices");
    const device2 = await bobsDevice();
    expect(device2.sessionId).toBe(bob.sessionId);
    const a = await waitForMessage(bob, (m) => m.text === "to both devices");
    const b = await waitForMessage(device2, (m) => m.text === "to both devices");
    expect(a.hash).toBe(b.hash);
  }, 60_000);

  it("the async iterator yields incoming messages; delete removes them from the swarm", async () => {
    const { alice, bob, bobsDevice } = await aliceAndBob();
    await alice.sendText(bob.sessionId, "via iterator");
    const it = bob.messages();
    const first = (await it.next()).value as IncomingMessage;
    await it.return(undefined);
    bob.stop();
    expect(first.text).toBe("via iterator");
    const del = await bob.deleteMessages([first.hash]);
    expect(del.status).toBe(200);
    const other = await bobsDevice();
    expect((await other.poll()).map((m) => m.hash)).not.toContain(first.hash);
  }, 60_000);

  it("names resolve through onion paths by default (an unregistered one is not found); bad recipients get typed errors", async () => {
    const alice = await connected();
    await expect(alice.sendText("nobody-registered-this", "x")).rejects.toMatchObject({
      code: "NAME_NOT_FOUND",
    });
    await expect(alice.sendText(`15${"ab".repeat(32)}`, "x")).rejects.toMatchObject({
      code: "BAD_RECIPIENT",
    });
  });
});
