import { fromBase64, utf8Decode } from "@session/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode } from "../src/node.ts";
import { Membership } from "../src/swarm/membership.ts";
import {
  newAccount,
  nodeConfig,
  retrieveParams,
  rpc,
  silent,
  storeParams,
  TestNet,
} from "./helpers/node-net.ts";

/*
 * Catch-up and rebalancing move more data than one request may carry. Every node here accepts
 * bodies of at most 64 KiB, so a swarm's 150 messages of 1 KiB (~210 KiB as base64) must travel
 * in pages (at most 32 KiB each): a catch-up that asked for everything at once, or a rebalancing
 * import of a whole swarm's share, would be refused and the messages would stay where they are.
 */
const MAX_BODY = 64 << 10;
const net = new TestNet({ maxBodyBytes: MAX_BODY });
const accounts = Array.from({ length: 30 }, () => newAccount());
const PER_ACCOUNT = 5;
const text = (a: (typeof accounts)[number], i: number) =>
  `${a.sessionId.slice(0, 10)} ${i} ${"x".repeat(1000)}`;
const texts = (body: { messages: { data: string }[] }) =>
  body.messages.map((m) => utf8Decode(fromBase64(m.data))).sort();
const expected = (a: (typeof accounts)[number]) =>
  Array.from({ length: PER_ACCOUNT }, (_, i) => text(a, i)).sort();

beforeAll(async () => {
  await net.start(5);
}, 60_000);
afterAll(() => net.stop());

describe("replication in pages (64 KiB bodies)", () => {
  it("a member that was down catches up on 150 messages of 1 KiB, page by page", async () => {
    expect(net.nodes[0]!.ctx.membership.swarmIds()).toHaveLength(1);
    const victim = net.nodes[4]!;
    await victim.stop();
    for (const a of accounts) {
      for (let i = 0; i < PER_ACCOUNT; i++) {
        const r = await rpc(net.nodes[i % 4]!.url, "store", storeParams(a, text(a, i)));
        expect(r.status).toBe(200);
      }
    }
    const revived = await startNode(
      { ...nodeConfig(victim.ctx.config.dataDir, net.registry, net.extra), port: victim.info.storage_port },
      { logger: silent },
    );
    net.nodes[4] = revived;
    // Started, it caught up already; a second run finds nothing new.
    expect((await revived.ctx.sync.catchUp()).messages).toBe(0);
    expect(revived.ctx.store.count(Date.now())).toBe(accounts.length * PER_ACCOUNT);
    for (const a of accounts) {
      const got = await rpc(revived.url, "retrieve", retrieveParams(a));
      expect(texts(got.body)).toEqual(expected(a));
    }
  }, 60_000);

  it("when swarms are re-cut, each account's messages reach its new swarm and leave the old one", async () => {
    for (let i = 0; i < 7; i++) await net.startOne();
    await net.publish();
    const membership = net.nodes[0]!.ctx.membership;
    expect(membership.swarmIds().length).toBeGreaterThanOrEqual(2);
    const firstFive = new Set(net.nodes.slice(0, 5));
    let movedAway = 0;
    for (const a of accounts) {
      const swarm = membership.swarmOf(a.sessionId)!;
      const isMember = (n: (typeof net.nodes)[number]) =>
        swarm.members.some((m) => m.pubkey_ed25519 === n.info.pubkey_ed25519);
      for (const n of net.nodes) {
        const held = n.ctx.store.retrieve(a.sessionId, 0, undefined, Date.now(), { maxSize: 1e9 }).messages;
        if (isMember(n)) {
          const got = await rpc(n.url, "retrieve", retrieveParams(a));
          expect(texts(got.body)).toEqual(expected(a));
        } else {
          expect(held).toHaveLength(0);
          if (firstFive.has(n)) movedAway++;
        }
      }
    }
    // Some of the original five lost accounts to the new swarm (what this test is about).
    expect(movedAway).toBeGreaterThan(0);
  }, 120_000);

  it("a node joining elsewhere does not make the others pull their swarm again; an owed catch-up is retried", async () => {
    const swarmOfNode = (n: (typeof net.nodes)[number]) => n.ctx.membership.mySwarm()?.id;
    const before = new Map(net.nodes.map((n) => [n, swarmOfNode(n)]));
    const fetchedBefore = new Map(
      await Promise.all(net.nodes.map(async (n) => [n, await fetched(n)] as const)),
    );
    // One of the swarm's members is down (still registered) when a new node joins.
    const joiner = await net.startOne();
    const down = net.nodes.find(
      (n) => n !== joiner && swarmOfAfterJoin(joiner, n) && swarmOfNode(n) !== undefined,
    );
    expect(down).toBeDefined();
    const downInfo = down!.info;
    await down!.stop();
    net.nodes.splice(net.nodes.indexOf(down!), 1);
    await net.publish([...net.nodes, { ...down!, info: downInfo } as never]);
    for (const n of net.nodes) {
      if (n === joiner || swarmOfNode(n) !== before.get(n)) continue;
      expect(await fetched(n), "a node whose swarm did not change pulled pages").toBe(fetchedBefore.get(n));
    }
    const joinerFetched = await fetched(joiner);
    expect(joinerFetched).toBeGreaterThan(0);
    // The member comes back: the joiner's next registry poll pulls from it, once.
    const revived = await startNode(
      { ...nodeConfig(down!.ctx.config.dataDir, net.registry, net.extra), port: downInfo.storage_port },
      { logger: silent },
    );
    net.nodes.push(revived);
    await joiner.refreshRegistry();
    const afterRetry = await fetched(joiner);
    expect(afterRetry).toBeGreaterThan(joinerFetched);
    await joiner.refreshRegistry();
    expect(await fetched(joiner)).toBe(afterRetry);
  }, 120_000);
});

/** Whether `n` is in the swarm `joiner` joins once the registry lists every running node. */
function swarmOfAfterJoin(joiner: (typeof net.nodes)[number], n: (typeof net.nodes)[number]): boolean {
  const view = new Membership(joiner.info.pubkey_ed25519);
  view.update(net.nodes.map((x) => ({ ...x.info, swarm_id: "0" })));
  return view.peers().some((p) => p.pubkey_ed25519 === n.info.pubkey_ed25519);
}

async function fetched(n: (typeof net.nodes)[number]): Promise<number> {
  const text = await (await fetch(`${n.url}/metrics`)).text();
  return Number(/session_node_sync_pages_total\{direction="fetched"\} (\d+)/.exec(text)?.[1] ?? 0);
}
