import { fromBase64 } from "@session/crypto";
import { signRpcParams } from "@session/protocol";
import { decryptGroupMessage } from "@session/protocol/groups";
import { describe, expect, it, vi } from "vitest";
import { createIdentity, fromPointer, type GroupMessage, Groups, SessionClient } from "../src/index.ts";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("client-groups", { nodes: 12, fileServer: true, pushServer: false });

async function account() {
  const identity = createIdentity();
  const client = new SessionClient({
    identity,
    seeds: [net.devnet.seed],
    fileServer: net.devnet.fileServer!,
  });
  await client.connect();
  return { client, groups: new Groups(client, identity), id: identity.sessionId };
}
type Account = Awaited<ReturnType<typeof account>>;

function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const v = await f();
      if (v === undefined) throw new Error(`timed out waiting for ${what}`);
      return v;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

/** Polls the 1:1 inbox until the invitation arrives, then accepts it. */
async function joinGroup(a: Account, groupId: string) {
  await until("invitation", async () => {
    await a.client.poll();
    return a.groups.pendingInvitations().find((i) => i.groupId === groupId);
  });
  return a.groups.accept(groupId);
}

/**
 * A group `name` of three new accounts, the two members invited and joined: `[admin, member1,
 * member2, the admin's group, member1's, member2's]`.
 */
async function groupOfThree(name: string, opts?: Parameters<Groups["create"]>[1]) {
  const [admin, m1, m2] = await Promise.all([account(), account(), account()]);
  const group = await admin.groups.create(name, opts);
  await admin.groups.invite(group.id, [m1.id, m2.id]);
  return [admin, m1, m2, group, await joinGroup(m1, group.id), await joinGroup(m2, group.id)] as const;
}

async function readUntil(a: Account, groupId: string, pred: (m: GroupMessage) => boolean) {
  const got: GroupMessage[] = [];
  return until("group message", async () => {
    got.push(...(await a.groups.sync(groupId)));
    return got.find(pred);
  });
}

describe("closed groups on a 12-node devnet", () => {
  it("create, invite, accept, exchange messages; members see names and the member list", async () => {
    const [admin, bob, carol, g, gb, gc] = await groupOfThree("Hikers", { adminName: "Ann" });
    expect(g.id).toMatch(/^03[0-9a-f]{64}$/);
    expect(gb.info().name).toBe("Hikers");
    await gb.send("hello from bob");
    expect((await readUntil(carol, g.id, (m) => m.text === "hello from bob")).from).toBe(bob.id);
    expect((await readUntil(admin, g.id, (m) => m.text === "hello from bob")).from).toBe(bob.id);
    await g.send("hi all", { disappear: { type: "after-send", seconds: 60 } });
    const m = await readUntil(bob, g.id, (x) => x.text === "hi all");
    expect(m.expiration).toEqual({ type: "after-send", seconds: 60 });
    // The admin's sync took both acceptances: invite statuses cleared.
    await until("acceptances", async () => {
      await admin.groups.sync(g.id);
      return g.members().every((x) => !x.inviteStatus) ? true : undefined;
    });
    await gc.sync();
    expect(
      gc
        .members()
        .map((x) => x.sessionId)
        .sort(),
    ).toEqual([admin.id, bob.id, carol.id].sort());
    expect(gc.members().find((x) => x.sessionId === admin.id)).toMatchObject({ admin: true, name: "Ann" });
    // Members cannot change the group.
    await expect(gc.setInfo({ name: "mine" })).rejects.toMatchObject({ code: "NOT_GROUP_ADMIN" });
  }, 120_000);

  it("a removed member cannot read later messages (token revoked, key rotated) while the others can", async () => {
    const [admin, bob, eve, g, gb, ge] = await groupOfThree("Team");
    await g.send("before removal");
    await readUntil(eve, g.id, (m) => m.text === "before removal");
    await admin.groups.remove(g.id, [eve.id]);
    await g.send("after removal");
    expect((await readUntil(bob, g.id, (m) => m.text === "after removal")).from).toBe(admin.id);
    // Eve's subaccount is revoked on the swarm...
    await expect(ge.sync()).rejects.toMatchObject({ code: "NOT_GROUP_MEMBER" });
    // ...and even given the raw message, none of her keys open it.
    const raw = await g["net"].swarmRpc(
      g.id,
      "retrieve",
      signRpcParams(
        "retrieve",
        { pubkey: g.id, namespace: 11, timestamp: Date.now() },
        { sign: (b) => g["signer"]().sign(b) },
      ),
    );
    const msgs = (raw.body as { messages: { data: string }[] }).messages;
    const eveKeys = ge.keys.all().map((k) => k.key);
    const opened = msgs.map((m) => {
      try {
        return decryptGroupMessage(eveKeys, fromBase64(m.data));
      } catch {
        return undefined;
      }
    });
    expect(opened.filter((o) => o).length).toBeGreaterThan(0); // the old ones
    expect(opened.filter((o) => !o).length).toBeGreaterThan(0); // the new one
    expect(gb.keyGenerations()[0]).toBe(1);
  }, 120_000);

  it("two admins rename concurrently and every member converges on the same name", async () => {
    const [a1, a2, , g1, g2, gm] = await groupOfThree("Original");
    await a1.groups.promote(g1.id, a2.id);
    await until("promotion", async () => {
      await a2.client.poll();
      return g2.isAdmin ? true : undefined;
    });
    await g1.sync();
    await g2.sync();
    await Promise.all([g1.setInfo({ name: "Name by one" }), g2.setInfo({ name: "Name by two" })]);
    // Each admin merges what it reads and pushes the merge; all converge.
    await g1.sync();
    await g2.sync();
    await g1.sync();
    await gm.sync();
    const names = [g1.info().name, g2.info().name, gm.info().name];
    expect(new Set(names).size).toBe(1);
    expect(["Name by one", "Name by two"]).toContain(names[0]);
  }, 120_000);

  it("a member offline across three key rotations catches up and reads everything it is entitled to", async () => {
    const [admin, sleeper, x, y, z] = await Promise.all([
      account(),
      account(),
      account(),
      account(),
      account(),
    ]);
    const g = await admin.groups.create("Rotations");
    await admin.groups.invite(g.id, [sleeper.id, x.id, y.id, z.id]);
    const gs = await joinGroup(sleeper, g.id);
    for (const a of [x, y, z]) await joinGroup(a, g.id);
    await g.sync();
    const sent: string[] = [];
    for (const who of [x, y, z]) {
      await g.send(`before removing ${who.id.slice(0, 8)}`);
      sent.push(`before removing ${who.id.slice(0, 8)}`);
      await admin.groups.remove(g.id, [who.id]);
    }
    await g.send("after three rotations");
    sent.push("after three rotations");
    expect(g.keyGenerations()[0]).toBe(3);
    const got: GroupMessage[] = [];
    await until("all messages", async () => {
      got.push(...(await gs.sync()));
      return sent.every((t) => got.some((m) => m.text === t)) ? true : undefined;
    });
    expect(gs.keyGenerations()).toEqual([3, 2, 1, 0]);
  }, 180_000);

  it("attachments, leaving, and declining work in groups", async () => {
    const [admin, bob, leaver, decliner] = await Promise.all([account(), account(), account(), account()]);
    const g = await admin.groups.create("Files");
    await admin.groups.invite(g.id, [bob.id, leaver.id, decliner.id]);
    const gb = await joinGroup(bob, g.id);
    await joinGroup(leaver, g.id);
    await until("invitation", async () => {
      await decliner.client.poll();
      return decliner.groups.pendingInvitations().length ? true : undefined;
    });
    decliner.groups.decline(g.id);
    expect(decliner.groups.pendingInvitations()).toEqual([]);
    const file = new TextEncoder().encode("group attachment bytes");
    const ref = await admin.client.attachments.upload(file, { fileName: "a.txt" });
    await g.send("see file", {}, [ref]);
    const m = await readUntil(bob, g.id, (x) => x.text === "see file");
    const ptr = fromPointer(m.content.dataMessage!.attachments![0]!)!;
    expect(new TextDecoder().decode(await bob.client.attachments.download(ptr))).toBe(
      "group attachment bytes",
    );
    // Leaving: an admin's next sync removes the leaver and rotates the key.
    await g.sync();
    const gen = g.keyGenerations()[0]!;
    await leaver.groups.leave(g.id);
    expect(leaver.groups.list()).toEqual([]);
    await until("leave handled", async () => {
      await g.sync();
      return g.members().some((x) => x.sessionId === leaver.id) ? undefined : true;
    });
    expect(g.keyGenerations()[0]).toBe(gen + 1);
    await gb.sync();
    expect(gb.members().map((x) => x.sessionId)).not.toContain(leaver.id);
  }, 120_000);

  it("a 100-member group exchanges messages; the 101st invite is refused", async () => {
    const admin = await account();
    const g = await admin.groups.create("Hundred");
    const others: Account[] = [];
    for (let i = 0; i < 99; i++) others.push(await account());
    await admin.groups.invite(
      g.id,
      others.map((o) => o.id),
    );
    expect(g.members()).toHaveLength(100);
    const joined = [];
    // A few at a time: the machine running the devnet is small.
    for (let i = 0; i < others.length; i += 10) {
      joined.push(...(await Promise.all(others.slice(i, i + 10).map((o) => joinGroup(o, g.id)))));
    }
    const extra = await account();
    await expect(admin.groups.invite(g.id, [extra.id])).rejects.toMatchObject({ code: "GROUP_FULL" });
    await g.send("hello hundred");
    await joined[42]!.send("reply from member 43");
    for (let i = 0; i < others.length; i += 10) {
      await Promise.all(
        others.slice(i, i + 10).map(async (o) => {
          const got: GroupMessage[] = [];
          await until("both messages", async () => {
            got.push(...(await o.groups.sync(g.id)));
            return got.some((m) => m.text === "hello hundred") &&
              got.some((m) => m.text === "reply from member 43")
              ? true
              : undefined;
          });
        }),
      );
    }
    expect((await readUntil(admin, g.id, (m) => m.text === "reply from member 43")).from).toBe(
      others[42]!.id,
    );
    // The acceptances reached the admin: no member is still "invited".
    await until("all accepted", async () => {
      await g.sync();
      return g.members().every((m) => !m.inviteStatus) ? true : undefined;
    });
  }, 600_000);
});
