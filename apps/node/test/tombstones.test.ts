import { join } from "node:path";
import { toBase64 } from "@session/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningNode, startNode } from "../src/node.ts";
import { toWire } from "../src/replication/sync.ts";
import { newAccount, nodeConfig, rpc, signed, silent, storeParams, TestNet } from "./helpers/node-net.ts";
import { proxy } from "./helpers/tcp-proxy.ts";

/*
 * Deletes a swarm member missed for longer than redelivery tries (60 s for a client's signed
 * request) are repaired from its peers' tombstones: the client's own signed requests, checked
 * again by the member that missed them. Real nodes on loopback; the third member sits behind a
 * TCP proxy that cuts it off, as a network outage would; the nodes share a settable clock, moved
 * on 5 minutes instead of waiting them.
 */

const FIVE_MINUTES = 5 * 60_000;
// Pulls are run by hand here; the timer would only add pulls at unknown moments.
const net = new TestNet({ tombstonePullMs: 24 * 3_600_000 });
let a: RunningNode;
let b: RunningNode;
let c: RunningNode;
let cut: Awaited<ReturnType<typeof proxy>>;
const cDir = join(net.dir, "behind-proxy");

async function startC(): Promise<RunningNode> {
  const node = await startNode(nodeConfig(cDir, net.registry, { ...net.extra, publicPort: cut.port }), {
    logger: silent,
    clock: { now: () => net.clock.now() },
  });
  cut.to(Number(new URL(node.url).port));
  return node;
}

beforeAll(async () => {
  [a, b] = (await net.start(2)) as [RunningNode, RunningNode];
  cut = await proxy();
  c = await startC();
  net.nodes.push(c);
  await net.publish();
  expect(a.ctx.membership.peers()).toHaveLength(2);
}, 30_000);
afterAll(async () => {
  await net.stop();
  await cut.close();
});

/** The client's clock is the nodes' (signatures are checked against it). */
const now = () => net.clock.now();

async function store(acct: ReturnType<typeof newAccount>, text: string, namespace = 0): Promise<string> {
  const r = await rpc(a.url, "store", storeParams(acct, text, now(), { namespace, sig_timestamp: now() }));
  expect(r.status).toBe(200);
  expect(Object.values(r.body.swarm).every((e) => !(e as { failed?: boolean }).failed)).toBe(true);
  return r.body.hash as string;
}

const has = (node: RunningNode, hash: string) => node.ctx.store.get(hash, now()) !== undefined;

describe("repairing deletes a member missed (tombstones)", () => {
  it("a member cut off for 5 minutes applies the deletes and shortening it missed, from the clients' signatures", async () => {
    const alice = newAccount();
    const deleted = await store(alice, "deleted by hash");
    const shortened = await store(alice, "expiry shortened");
    const inNs5 = await store(alice, "delete_all of namespace 5", 5);
    const inNs7 = await store(alice, "delete_before in namespace 7", 7);
    const kept = await store(alice, "kept");
    for (const h of [deleted, shortened, inNs5, inNs7, kept]) expect(has(c, h)).toBe(true);

    cut.set(false);
    const t = now();
    const shortTo = t + 20 * 60_000;
    const requests: [string, Record<string, unknown>][] = [
      ["delete", { pubkey: alice.sessionId, messages: [deleted], timestamp: t }],
      ["expire", { pubkey: alice.sessionId, messages: [shortened], expiry: shortTo, shorten: true }],
      ["delete_all", { pubkey: alice.sessionId, namespace: 5, timestamp: t }],
      ["delete_before", { pubkey: alice.sessionId, namespace: 7, before: t }],
    ];
    for (const [method, params] of requests) {
      const r = await rpc(a.url, method, signed(alice, method as "delete", params));
      expect(r.status, method).toBe(200);
      expect(r.body.swarm[c.info.pubkey_ed25519], method).toMatchObject({ failed: true });
    }
    expect(has(b, deleted) || has(b, inNs5) || has(b, inNs7)).toBe(false);
    expect(b.ctx.store.get(shortened, now())?.expiry).toBe(shortTo);

    // Still cut off: redelivery keeps the requests; 5 minutes later it gives them up (the
    // member's ±70 s check on the client's signature would refuse them by then).
    expect(await a.ctx.redelivery!.flush()).toEqual({ delivered: 0, dropped: 0 });
    net.clock.offset += FIVE_MINUTES;
    cut.set(true);
    expect(await a.ctx.redelivery!.flush()).toEqual({ delivered: 0, dropped: 4 });
    // That is where the gap was: the member still holds what the owner deleted.
    for (const h of [deleted, inNs5, inNs7]) expect(has(c, h)).toBe(true);
    expect(c.ctx.store.get(shortened, now())?.expiry).toBeGreaterThan(shortTo);
    const staleCopy = c.ctx.store.get(deleted, now())!;

    // Both peers kept each request (one tombstone per request); c applies each once.
    expect(a.ctx.tombstones!.count(now())).toBe(4);
    expect(await c.ctx.tombstones!.pull()).toBe(4);
    for (const h of [deleted, inNs5, inNs7]) expect(has(c, h)).toBe(false);
    expect(c.ctx.store.get(shortened, now())?.expiry).toBe(shortTo);
    expect(has(c, kept)).toBe(true);
    expect(await c.ctx.tombstones!.pull()).toBe(0);
    const metrics = await (await fetch(`${c.url}/metrics`)).text();
    expect(metrics).toMatch(/session_node_tombstones_pulled_total\{outcome="applied"\} 4/);
    expect(metrics).toMatch(/session_node_tombstones_pulled_total\{outcome="known"\} 4/);

    // A stale copy arriving later (an import from a peer that still had it) meets the tombstone.
    c.ctx.sync.handlePeer({ action: "import", messages: [toWire(staleCopy)], revocations: [] });
    expect(has(c, deleted)).toBe(false);

    // Tombstones go once every message they covered would have expired anyway (1 h TTL here).
    expect(a.ctx.tombstones!.sweep(now() + 3_600_000)).toBe(4);
    expect(a.ctx.tombstones!.count(now())).toBe(0);
  }, 60_000);

  it("nothing is deleted on a peer's word: forged, altered or foreign tombstones are refused", async () => {
    const bob = newAccount();
    const mallory = newAccount();
    const target = await store(bob, "must survive");
    const other = await store(bob, "signed away");
    const genuine = signed(bob, "delete", { pubkey: bob.sessionId, messages: [other] });
    const t = now();
    const list = [
      // Signed by another key.
      {
        request: {
          method: "delete",
          params: { ...signed(mallory, "delete", { pubkey: bob.sessionId, messages: [target] }) },
        },
        keep_until: t + 3_600_000,
      },
      // The owner's signature, over other hashes than those named.
      {
        request: { method: "delete", params: { ...genuine, messages: [target] } },
        keep_until: t + 3_600_000,
      },
      // A delete_all whose signed timestamp was moved on.
      {
        request: {
          method: "delete_all",
          params: {
            ...signed(bob, "delete_all", { pubkey: bob.sessionId, namespace: 0, timestamp: t - 86_400_000 }),
            timestamp: t,
          },
        },
        keep_until: t + 3_600_000,
      },
      // No signature at all, a method that deletes nothing, and a shape that is no request.
      {
        request: { method: "delete", params: { pubkey: bob.sessionId, messages: [target] } },
        keep_until: t + 3_600_000,
      },
      { request: { method: "store", params: storeParams(bob, "x", t) }, keep_until: t + 3_600_000 },
      { request: "drop everything", keep_until: t + 3_600_000 },
    ];
    const keptBefore = c.ctx.tombstones!.count(now());
    expect(await c.ctx.tombstones!.accept(list)).toEqual({ applied: 0, refused: list.length });
    expect(has(c, target)).toBe(true);
    expect(c.ctx.tombstones!.count(now())).toBe(keptBefore);
    // The genuine one applies, whatever its age.
    net.clock.offset += 3 * 86_400_000 - 3_600_000;
    expect(
      await c.ctx.tombstones!.accept([
        { request: { method: "delete", params: genuine }, keep_until: now() + 1 },
      ]),
    ).toEqual({
      applied: 1,
      refused: 0,
    });
    net.clock.offset -= 3 * 86_400_000 - 3_600_000;
    expect(has(c, other)).toBe(false);
    expect(has(c, target)).toBe(true);
  }, 30_000);

  it("a member down for 5 minutes applies what it missed when it starts again", async () => {
    const carol = newAccount();
    const gone = await store(carol, "deleted while the member was down");
    const kept = await store(carol, "kept");
    expect(has(c, gone)).toBe(true);
    await c.stop();
    cut.set(false);
    const r = await rpc(
      a.url,
      "delete",
      signed(carol, "delete", { pubkey: carol.sessionId, messages: [gone] }),
    );
    expect(r.status).toBe(200);
    net.clock.offset += FIVE_MINUTES;
    await a.ctx.redelivery!.flush();
    cut.set(true);
    net.nodes = net.nodes.filter((n) => n !== c);
    c = await startC();
    net.nodes.push(c);
    // Catch-up on start pulls the swarm's messages, then every peer's tombstones.
    expect(has(c, gone)).toBe(false);
    expect(has(c, kept)).toBe(true);
    expect(toBase64(c.ctx.store.get(kept, now())!.data)).toBe(toBase64(new TextEncoder().encode("kept")));
  }, 60_000);
});
