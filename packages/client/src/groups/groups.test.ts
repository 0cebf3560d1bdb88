import { EventEmitter } from "node:events";
import { fromHex, fullEd25519SecretKey, randomBytesArray, sign, toHex } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { createIdentity } from "../identity.ts";
import type { IncomingMessage } from "../messages.ts";
import { inviteSignatureMessage } from "./group-invite.ts";
import { Groups } from "./groups.ts";

// Invitations and promotions arrive in the 1:1 inbox; only well-formed, group-signed ones count.
function setup() {
  const client = Object.assign(new EventEmitter(), {
    swarmRpc: async () => {
      throw new Error("no network in this test");
    },
  });
  const me = createIdentity();
  const groups = new Groups(client as never, me);
  const groupSk = fullEd25519SecretKey(randomBytesArray(32));
  const groupId = `03${toHex(groupSk.subarray(32))}`;
  const deliver = (content: IncomingMessage["content"], timestamp = 1_700_000_000_000) =>
    client.emit("message", {
      hash: "h",
      from: createIdentity().sessionId,
      text: undefined,
      timestamp,
      isRequest: true,
      content,
    } satisfies IncomingMessage);
  return { me, groups, groupSk, groupId, deliver };
}

function invite(groupId: string, groupSk: Uint8Array, invitee: string, timestamp: number, authLen = 100) {
  return {
    dataMessage: {
      groupUpdateMessage: {
        inviteMessage: {
          groupSessionId: groupId,
          name: "G",
          memberAuthData: new Uint8Array(authLen),
          adminSignature: sign(inviteSignatureMessage(invitee, timestamp), groupSk),
        },
      },
    },
  };
}

describe("group invitations from 1:1 messages", () => {
  it("keeps an invitation the group key signed for us at the message's timestamp", () => {
    const { me, groups, groupSk, groupId, deliver } = setup();
    let seen = 0;
    groups.on("invitation", () => seen++);
    deliver(invite(groupId, groupSk, me.sessionId, 1_700_000_000_000));
    expect(groups.pendingInvitations().map((i) => i.groupId)).toEqual([groupId]);
    expect(seen).toBe(1);
    groups.decline(groupId);
    expect(groups.pendingInvitations()).toEqual([]);
    expect(() => groups.decline(groupId)).toThrow(expect.objectContaining({ code: "GROUP_NOT_FOUND" }));
  });

  it("ignores invitations signed by another key, for someone else, replayed at another time, or malformed", () => {
    const { me, groups, groupSk, groupId, deliver } = setup();
    const other = fullEd25519SecretKey(randomBytesArray(32));
    deliver(invite(groupId, other, me.sessionId, 1_700_000_000_000));
    deliver(invite(groupId, groupSk, createIdentity().sessionId, 1_700_000_000_000));
    deliver(invite(groupId, groupSk, me.sessionId, 1_600_000_000_000)); // signed for another time
    deliver(invite(groupId, groupSk, me.sessionId, 1_700_000_000_000, 99));
    deliver(invite(`05${groupId.slice(2)}`, groupSk, me.sessionId, 1_700_000_000_000));
    expect(groups.pendingInvitations()).toEqual([]);
  });

  it("a promotion for a group we are not in is ignored; unknown groups are GROUP_NOT_FOUND", async () => {
    const { groups, groupSk, groupId, deliver } = setup();
    deliver({
      dataMessage: {
        groupUpdateMessage: { promoteMessage: { groupIdentitySeed: groupSk.slice(0, 32), name: "G" } },
      },
    });
    expect(groups.list()).toEqual([]);
    expect(() => groups.get(groupId)).toThrow(expect.objectContaining({ code: "GROUP_NOT_FOUND" }));
    await expect(groups.accept(groupId)).rejects.toMatchObject({ code: "GROUP_NOT_FOUND" });
    await expect(groups.create("  ")).rejects.toMatchObject({ code: "BAD_GROUP_NAME" });
    expect(fromHex(groupId.slice(2))).toHaveLength(32);
  });
});

describe("group requests use network time", () => {
  it("stores, invites and push subscriptions are stamped with the client's clock-corrected now()", async () => {
    // A device clock 5 minutes slow: the client's now() is what the network accepts.
    const networkNow = Date.now() + 5 * 60_000;
    const calls: { method: string; params: Record<string, unknown> }[] = [];
    const client = Object.assign(new EventEmitter(), {
      now: () => networkNow,
      swarmRpc: async (_account: string, method: string, params: unknown) => {
        const p = (typeof params === "function" ? await params({}) : params) as Record<string, unknown>;
        calls.push({ method, params: p });
        return { status: 200, body: { hash: `h${calls.length}` }, node: {} };
      },
    });
    const groups = new Groups(client as never, createIdentity());
    const g = await groups.create("Clocks");
    await groups.invite(g.id, [createIdentity().sessionId]);
    await g.send("hi");
    const stores = calls.filter((c) => c.method === "store");
    expect(stores.length).toBeGreaterThanOrEqual(4);
    for (const s of stores) expect(s.params.timestamp).toBe(networkNow);
    expect(g.info().created).toBe(Math.floor(networkNow / 1000));
    const sub = g.pushSubscription({ service: "apns", token: "t", encKey: new Uint8Array(32) });
    expect(sub.sig_ts).toBe(Math.floor(networkNow / 1000));
  });
});
