import { fromBase64, utf8Decode } from "@session/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectWrongSwarm,
  newAccount,
  retrieveParams,
  rpc,
  storeParams,
  TestNet,
} from "./helpers/node-net.ts";
import { groupAccount, makeSubaccount, revokeParams, subaccountRetrieve } from "./helpers/subaccounts.ts";

/*
 * Twelve real node servers on loopback (own SQLite file each, one static registry) in two
 * swarms: storing through one node reaches every member of the owner's swarm; a node killed
 * mid-stream loses nothing; a membership change moves messages (and subaccount revocations) to
 * their new swarm; a node that was down catches up when it returns.
 */
const net = new TestNet();
beforeAll(async () => {
  await net.start(12);
}, 60_000);
afterAll(() => net.stop());

const texts = (body: { messages: { data: string }[] }) =>
  body.messages.map((m) => utf8Decode(fromBase64(m.data)));

function swarmOf(sessionId: string) {
  const ms = net.nodes[0]!.ctx.membership;
  const swarm = ms.swarmOf(sessionId)!;
  const members = net.nodes.filter((n) =>
    swarm.members.some((m) => m.pubkey_ed25519 === n.info.pubkey_ed25519),
  );
  const others = net.nodes.filter((n) => !members.includes(n));
  return { swarm, members, others };
}

describe("a 12-node network", () => {
  it("has at least two swarms", () => {
    expect(net.nodes[0]!.ctx.membership.swarmIds().length).toBeGreaterThanOrEqual(2);
  });

  it("a store through one member is retrievable from every member, signed by each", async () => {
    const alice = newAccount();
    const { members } = swarmOf(alice.sessionId);
    const r = await rpc(members[0]!.url, "store", storeParams(alice, "hello swarm"));
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.swarm).sort()).toEqual(members.map((m) => m.info.pubkey_ed25519).sort());
    for (const entry of Object.values(r.body.swarm) as { hash: string; signature: string }[]) {
      expect(entry.hash).toBe(r.body.hash);
      expect(entry.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    }
    for (const m of members) {
      const got = await rpc(m.url, "retrieve", retrieveParams(alice));
      expect(got.status).toBe(200);
      expect(texts(got.body)).toEqual(["hello swarm"]);
    }
  });

  it("a node outside the swarm answers 421 with the right swarm", async () => {
    const bob = newAccount();
    const { members, others, swarm } = swarmOf(bob.sessionId);
    const r = await rpc(others[0]!.url, "store", storeParams(bob, "x"));
    expectWrongSwarm(r, swarm.id, members);
  });

  it("one member dies mid-stream: no message is lost, and it catches up when back", async () => {
    const carol = newAccount();
    const { members } = swarmOf(carol.sessionId);
    const victim = members[members.length - 1]!;
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      if (i === 7) await victim.stop();
      const target = members[i % (members.length - 1)]!;
      const r = await rpc(target.url, "store", storeParams(carol, `msg ${i}`));
      expect(r.status).toBe(200);
      sent.push(`msg ${i}`);
    }
    for (const m of members.slice(0, -1)) {
      const got = await rpc(m.url, "retrieve", retrieveParams(carol));
      expect(texts(got.body).sort()).toEqual([...sent].sort());
    }
    // The victim comes back on the same data dir and pulls what it missed.
    const { startNode } = await import("../src/node.ts");
    const { nodeConfig, silent } = await import("./helpers/node-net.ts");
    const revived = await startNode(
      { ...nodeConfig(victim.ctx.config.dataDir, net.registry), port: victim.info.storage_port },
      { logger: silent },
    );
    net.nodes[net.nodes.indexOf(victim)] = revived;
    await revived.ctx.sync.catchUp();
    const got = await rpc(revived.url, "retrieve", retrieveParams(carol));
    expect(texts(got.body).sort()).toEqual([...sent].sort());
  }, 30_000);

  it("membership changes move messages to their new swarm", async () => {
    const accounts = Array.from({ length: 20 }, () => newAccount());
    const before = new Map(accounts.map((a) => [a.sessionId, swarmOf(a.sessionId).swarm.id]));
    for (const a of accounts) {
      const { members } = swarmOf(a.sessionId);
      expect(
        (await rpc(members[0]!.url, "store", storeParams(a, `for ${a.sessionId.slice(0, 8)}`))).status,
      ).toBe(200);
    }
    // 03 groups with one revoked and one valid subaccount each: the revocation moves too.
    const groups = Array.from({ length: 20 }, () => {
      const g = groupAccount();
      return { ...g, revoked: makeSubaccount(0x03, g.sk), valid: makeSubaccount(0x03, g.sk) };
    });
    for (const g of groups) {
      const url = swarmOf(g.pk).members[0]!.url;
      const st = await rpc(url, "store", { pubkey: g.pk, timestamp: Date.now(), ttl: 600_000, data: "Zw==" });
      expect(st.status).toBe(200);
      expect(
        (await rpc(url, "revoke_subaccount", revokeParams(g.sk, g.pk, "revoke", [g.revoked.token]))).status,
      ).toBe(200);
    }
    const groupsBefore = new Map(groups.map((g) => [g.pk, swarmOf(g.pk).swarm.id]));
    // Six more nodes join: swarms are re-cut and some accounts change swarm.
    for (let i = 0; i < 6; i++) await net.startOne();
    await net.publish();
    expect(accounts.some((a) => swarmOf(a.sessionId).swarm.id !== before.get(a.sessionId))).toBe(true);
    expect(groups.some((g) => swarmOf(g.pk).swarm.id !== groupsBefore.get(g.pk))).toBe(true);
    for (const g of groups) {
      for (const m of swarmOf(g.pk).members) {
        const bad = await subaccountRetrieve(m.url, g.pk, g.revoked);
        expect([bad.status, bad.body.error?.code]).toEqual([401, "SUBACCOUNT_REVOKED"]);
        const good = await subaccountRetrieve(m.url, g.pk, g.valid);
        expect(good.status).toBe(200);
        expect(good.body.messages).toHaveLength(1);
      }
    }
    for (const a of accounts) {
      const { members } = swarmOf(a.sessionId);
      for (const m of members) {
        const got = await rpc(m.url, "retrieve", retrieveParams(a));
        expect(got.status).toBe(200);
        expect(texts(got.body)).toEqual([`for ${a.sessionId.slice(0, 8)}`]);
      }
    }
  }, 60_000);
});
