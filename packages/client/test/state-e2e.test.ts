import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  createIdentity,
  type Identity,
  type IncomingMessage,
  SessionClient,
  type SessionClientOptions,
} from "../src/index.ts";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("client-state", { nodes: 8, fileServer: false, pushServer: false });
const { dir, clients } = net;

let dirs = 0;
async function connected(
  identity: Identity = createIdentity(),
  o: Partial<SessionClientOptions> = {},
): Promise<SessionClient> {
  const c = new SessionClient({ identity, seeds: [net.devnet.seed], dataDir: join(dir, `d${dirs++}`), ...o });
  clients.push(c);
  await c.connect();
  return c;
}

/** Polls until a message matching `pred` arrives; returns it and everything delivered meanwhile. */
function until(c: SessionClient, pred: (m: IncomingMessage) => boolean, timeoutMs = 15_000) {
  const all: IncomingMessage[] = [];
  return vi.waitFor(
    async () => {
      all.push(...(await c.poll()));
      const got = all.find(pred);
      if (!got) throw new Error(`message did not arrive; got ${all.map((m) => m.text).join(", ")}`);
      return { got, all };
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

describe("client state on the devnet", () => {
  it("a restarted client delivers only what is new since its last run (history on request)", async () => {
    const alice = await connected();
    const bobId = createIdentity();
    const bobDir = join(dir, "bob-restart");
    const bob1 = await connected(bobId, { dataDir: bobDir });
    await alice.sendText(bob1.sessionId, "one");
    await until(bob1, (m) => m.text === "one");
    await bob1.close();

    await alice.sendText(bobId.sessionId, "two");
    const bob2 = await connected(bobId, { dataDir: bobDir });
    const { all } = await until(bob2, (m) => m.text === "two");
    expect(all.map((m) => m.text)).toEqual(["two"]);
    // Still a request after the restart: nothing accepted it.
    expect(all[0]!.isRequest).toBe(true);
    await bob2.close();

    const bob3 = await connected(bobId, { dataDir: bobDir, history: true });
    const replay = await until(bob3, (m) => m.text === "two");
    expect(replay.all.map((m) => m.text)).toEqual(["one", "two"]);
  }, 90_000);

  it("accept sends a MessageRequestResponse the sender sees; decline and block", async () => {
    const alice = await connected(createIdentity(), { profile: { displayName: "Alice" } });
    const bob = await connected();
    const carol = await connected();
    const dave = await connected();
    await bob.sendText(alice.sessionId, "hello alice");
    await carol.sendText(alice.sessionId, "cheap watches");
    await dave.sendText(alice.sessionId, "spam 1");
    await until(alice, (m) => m.text === "spam 1");
    expect((await alice.requests()).map((c) => c.sessionId).sort()).toEqual(
      [bob.sessionId, carol.sessionId, dave.sessionId].sort(),
    );

    await alice.accept(bob.sessionId);
    const { got } = await until(bob, (m) => m.content.messageRequestResponse !== undefined);
    expect(got.from).toBe(alice.sessionId);
    expect(got.content.messageRequestResponse).toMatchObject({
      isApproved: true,
      profile: { displayName: "Alice" },
    });
    expect(await bob.contacts()).toMatchObject([
      { sessionId: alice.sessionId, approvedMe: true, name: "Alice" },
    ]);

    await alice.decline(carol.sessionId);
    await alice.block(dave.sessionId);
    expect((await alice.requests()).map((c) => c.sessionId)).toEqual([]);
    expect((await alice.contacts()).map((c) => c.sessionId)).toEqual([bob.sessionId]);
    await expect(alice.decline(bob.sessionId)).rejects.toMatchObject({ code: "NOT_A_REQUEST" });

    // Everything from a blocked ID is dropped; bob (a contact now) is no request.
    await dave.sendText(alice.sessionId, "spam 2");
    await bob.sendText(alice.sessionId, "marker");
    const after = await until(alice, (m) => m.text === "marker");
    expect(after.all.map((m) => m.text)).toEqual(["marker"]);
    expect(after.got.isRequest).toBe(false);

    await alice.unblock(dave.sessionId);
    await dave.sendText(alice.sessionId, "spam 3");
    expect((await until(alice, (m) => m.text === "spam 3")).got.from).toBe(dave.sessionId);
  }, 120_000);

  it("two devices of one account see each other's sent messages", async () => {
    const id = createIdentity();
    const phone = await connected(id);
    const laptop = await connected(id);
    const bob = await connected();
    await phone.sendText(bob.sessionId, "from my phone");
    await laptop.sendText(bob.sessionId, "from my laptop");
    const onLaptop = await until(laptop, (m) => m.text === "from my phone");
    expect(onLaptop.got).toMatchObject({ from: id.sessionId, syncTarget: bob.sessionId, isRequest: false });
    // The sender does not see its own copy.
    expect(onLaptop.all.map((m) => m.text)).toEqual(["from my phone"]);
    const onPhone = await until(phone, (m) => m.text === "from my laptop");
    expect(onPhone.got.syncTarget).toBe(bob.sessionId);
    expect((await laptop.contacts()).map((c) => c.sessionId)).toEqual([bob.sessionId]);
    // bob gets each message once.
    const atBob = await until(bob, (m) => m.text === "from my laptop");
    expect(atBob.all.map((m) => m.text).sort()).toEqual(["from my laptop", "from my phone"]);
  }, 90_000);

  it("a device whose clock is 5 minutes off sends and receives", async () => {
    for (const skew of [5 * 60_000, -5 * 60_000]) {
      const off = await connected(createIdentity(), { now: () => Date.now() + skew });
      expect(Math.abs(off.clock.offset + skew)).toBeLessThan(5_000);
      const bob = await connected();
      await off.sendText(bob.sessionId, `skewed ${skew}`);
      const { got } = await until(bob, (m) => m.text === `skewed ${skew}`);
      expect(Math.abs(got.timestamp - Date.now())).toBeLessThan(30_000);
      await bob.sendText(off.sessionId, "back");
      await until(off, (m) => m.text === "back");
    }
  }, 90_000);

  it("a client started while every seed is down connects from its cached node list", async () => {
    const id = createIdentity();
    const dataDir = join(dir, "cache");
    const first = await connected(id, { dataDir });
    await first.close();
    // The same seed (scheme and certificate pin) on a port where nothing listens.
    const dead = new URL(net.devnet.seed);
    dead.port = "9";
    const deadSeeds = [dead.toString()];
    const fromCache = await connected(id, { dataDir, seeds: deadSeeds });
    expect(fromCache.stats.cacheStarts).toBe(1);
    const bob = await connected();
    await fromCache.sendText(bob.sessionId, "no seeds needed");
    await until(bob, (m) => m.text === "no seeds needed");
    // Without a cache the same seeds get nowhere.
    const fresh = new SessionClient({ identity: createIdentity(), seeds: deadSeeds });
    await expect(fresh.connect()).rejects.toMatchObject({ code: "NETWORK_UNAVAILABLE" });
    await fresh.close();
  }, 90_000);
});
