import { blake2b, fromBase64, sign, toBase64, toHex } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import { readContacts } from "@session/protocol/config";
import { describe, expect, it } from "vitest";
import { createIdentity, type Identity } from "../identity.ts";
import { approve } from "./conversations.ts";
import { MemoryClientStore } from "./memory-store.ts";
import { applyContacts, UserConfigs } from "./user-configs.ts";

/** One account's swarm, in memory: store (deduplicated by hash) and batched retrieves with last_hash. */
function fakeSwarm() {
  const byNs = new Map<number, { hash: string; data: string }[]>();
  const node = { pubkey_ed25519: "aa".repeat(32) } as NodeInfo;
  let stores = 0;
  const retrieve = (p: Record<string, unknown>) => {
    const list = byNs.get(p.namespace as number) ?? [];
    const from = p.last_hash ? list.findIndex((m) => m.hash === p.last_hash) + 1 : 0;
    return { code: 200, body: { messages: list.slice(from) } };
  };
  return {
    get stores() {
      return stores;
    },
    count: (ns: number) => byNs.get(ns)?.length ?? 0,
    async swarmRpc(_account: string, method: string, params: unknown) {
      const p = (typeof params === "function" ? await params(node) : params) as Record<string, unknown>;
      if (method === "store") {
        stores++;
        const ns = p.namespace as number;
        const hash = toBase64(blake2b(fromBase64(p.data as string), 32)).replace(/=+$/, "");
        const list = byNs.get(ns) ?? [];
        if (!list.some((m) => m.hash === hash)) list.push({ hash, data: p.data as string });
        byNs.set(ns, list);
        return { status: 200, body: { hash }, node };
      }
      if (method === "delete") {
        const gone = new Set(p.messages as string[]);
        for (const [ns, list] of byNs)
          byNs.set(
            ns,
            list.filter((m) => !gone.has(m.hash)),
          );
        return { status: 200, body: {}, node };
      }
      if (method === "batch") {
        const reqs = p.requests as { params: Record<string, unknown> }[];
        return { status: 200, body: { results: reqs.map((r) => retrieve(r.params)) }, node };
      }
      throw new Error(`unexpected ${method}`);
    },
  };
}

function device(id: Identity, swarm: ReturnType<typeof fakeSwarm>) {
  const store = new MemoryClientStore();
  const net = { sessionId: id.sessionId, swarmRpc: swarm.swarmRpc, now: () => Date.now() };
  const signer = () => ({
    sign: (m: Uint8Array) => sign(m, id.keys.ed25519.secretKey),
    ed25519PubkeyHex: toHex(id.keys.ed25519.publicKey),
  });
  return { store, configs: new UserConfigs(net, store, id.keys.ed25519.secretKey, signer) };
}

/** Two devices of one new account on one fake swarm. */
function twoDevices() {
  const me = createIdentity();
  const swarm = fakeSwarm();
  return { me, swarm, a: device(me, swarm), b: device(me, swarm) };
}

describe("user configs between two devices of one account", () => {
  it("concurrent changes (one blocks X, the other accepts Y, both rename) converge on both", async () => {
    const { swarm, a, b } = twoDevices();
    const x = createIdentity().sessionId;
    const y = createIdentity().sessionId;
    const now = Date.now();
    for (const d of [a, b])
      await d.store.putConversation({
        sessionId: y,
        approved: false,
        approvedMe: false,
        createdAt: now,
        lastMessageAt: now,
      });

    // Concurrent: neither has seen the other's change when it pushes its own.
    await a.store.setBlocked(x, true);
    await a.configs.updateContact(x, { blocked: true });
    await a.configs.setProfile({ name: "Phone" });
    await approve(b.store, y, now);
    await b.configs.updateContact(y, { approved: true });
    await b.configs.setProfile({ name: "Laptop" });
    expect(swarm.count(3)).toBe(2);

    // Each merges the other's, pushes the (same) merge, and reads it back.
    for (let i = 0; i < 2; i++) for (const d of [a, b]) await d.configs.sync();
    for (const d of [a, b]) {
      expect(d.configs.contacts.needsPush || d.configs.profile.needsPush).toBe(false);
      expect(await d.store.blocked()).toEqual([x]);
      expect(await d.store.conversation(y)).toMatchObject({ approved: true });
      expect(readContacts(d.configs.contacts.data).map((c) => [c.sessionId, c.approved, c.blocked])).toEqual(
        [
          [x, false, true],
          [y, true, false],
        ].sort((p, q) => ((p[0] as string) < (q[0] as string) ? -1 : 1)),
      );
    }
    const [pa, pb] = [await a.configs.readProfile(), await b.configs.readProfile()];
    expect(pa.name).toBe(pb.name);
    expect(["Phone", "Laptop"]).toContain(pa.name);
    expect(toHex(a.configs.contacts.serialize())).toBe(toHex(b.configs.contacts.serialize()));
    // The merge superseded both concurrent messages, which were deleted: one message per config.
    expect(swarm.count(3)).toBe(1);
    expect(swarm.count(2)).toBe(1);
  });

  it("a device restored later takes everything from the swarm; unblocking and removal follow", async () => {
    const me = createIdentity();
    const swarm = fakeSwarm();
    const a = device(me, swarm);
    const x = createIdentity().sessionId;
    const y = createIdentity().sessionId;
    await a.configs.updateContact(x, { blocked: true });
    await a.configs.updateContact(y, { approved: true, approvedMe: true, name: "Yolanda" });
    const later = device(me, swarm);
    expect(await later.configs.sync()).toBe(true);
    expect(await later.store.blocked()).toEqual([x]);
    expect(await later.store.conversation(y)).toMatchObject({
      approved: true,
      approvedMe: true,
      name: "Yolanda",
    });

    await a.configs.updateContact(x, { blocked: false });
    await a.configs.removeContact(y);
    await later.configs.sync();
    expect(await later.store.blocked()).toEqual([]);
    expect(await later.store.conversation(y)).toBeUndefined();
    // Nothing new: no merge, no push.
    const stores = swarm.stores;
    expect(await later.configs.sync()).toBe(false);
    expect(swarm.stores).toBe(stores);
  });

  it("read state follows to the other device; older read times do not move it back", async () => {
    const { swarm, a, b } = twoDevices();
    const peer = createIdentity().sessionId;
    const t = Date.now() - 60_000;
    await a.configs.markRead(peer, t);
    await b.configs.sync();
    expect(await b.configs.readConvos()).toEqual([{ sessionId: peer, lastRead: t, unread: false }]);
    await b.configs.markRead(peer, t + 1000);
    await a.configs.sync();
    expect((await a.configs.readConvos())[0]?.lastRead).toBe(t + 1000);
    await a.configs.markRead(peer, t - 5000);
    expect((await a.configs.readConvos())[0]?.lastRead).toBe(t + 1000);
    expect(swarm.count(4)).toBe(1);
  });

  it("configs survive a restart through the store's dumps", async () => {
    const me = createIdentity();
    const swarm = fakeSwarm();
    const a = device(me, swarm);
    await a.configs.setProfile({ name: "Kept" });
    const again = new UserConfigs(
      { sessionId: me.sessionId, swarmRpc: swarm.swarmRpc, now: () => Date.now() },
      a.store,
      me.keys.ed25519.secretKey,
      () => ({ sign: (m) => sign(m, me.keys.ed25519.secretKey) }),
    );
    expect((await again.readProfile()).name).toBe("Kept");
    expect(again.profile.seqno).toBe(1);
    expect(again.profile.needsPush).toBe(false);
  });

  it("applyContacts touches only what the merge changed", async () => {
    const store = new MemoryClientStore();
    const id = createIdentity().sessionId;
    await store.putConversation({
      sessionId: id,
      approved: true,
      approvedMe: false,
      createdAt: 1,
      lastMessageAt: 5,
    });
    const c = { sessionId: id, name: "", approved: true, approvedMe: false, blocked: false };
    await applyContacts(store, [c], [c], 10);
    expect(await store.conversation(id)).toMatchObject({ lastMessageAt: 5 });
    await applyContacts(store, [c], [{ ...c, approvedMe: true, name: "Z" }], 10);
    expect(await store.conversation(id)).toMatchObject({ approvedMe: true, name: "Z", lastMessageAt: 5 });
  });
});
