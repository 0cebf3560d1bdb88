import { describe, expect, it } from "vitest";
import {
  approve,
  declineRequest,
  listContacts,
  listRequests,
  recordIncoming,
  recordOutgoing,
  sessionIdArg,
} from "./conversations.ts";
import { MemoryClientStore } from "./memory-store.ts";

const me = `05${"00".repeat(32)}`;
const bob = `05${"b0".repeat(32)}`;
const carol = `05${"c0".repeat(32)}`;
const text = (body: string) => ({ dataMessage: { body } });

describe("message requests", () => {
  it("a first message is a request until accepted; replies after ours mean they approved us", async () => {
    const s = new MemoryClientStore();
    expect(await recordIncoming(s, me, bob, text("hi"), 1)).toEqual({ deliver: true, isRequest: true });
    expect((await listRequests(s)).map((c) => c.sessionId)).toEqual([bob]);
    await approve(s, bob, 2);
    expect(await recordIncoming(s, me, bob, text("again"), 3)).toEqual({ deliver: true, isRequest: false });
    expect(await listRequests(s)).toEqual([]);
    expect(await listContacts(s)).toMatchObject([{ sessionId: bob, approved: true, approvedMe: true }]);
  });

  it("a MessageRequestResponse sets approvedMe and the sender's name", async () => {
    const s = new MemoryClientStore();
    await recordOutgoing(s, bob, 1);
    expect((await s.conversation(bob))?.approvedMe).toBe(false);
    const response = { messageRequestResponse: { isApproved: true, profile: { displayName: "Bob" } } };
    expect(await recordIncoming(s, me, bob, response, 2)).toEqual({ deliver: true, isRequest: false });
    expect(await s.conversation(bob)).toMatchObject({ approved: true, approvedMe: true, name: "Bob" });
  });

  it("decline deletes a request and refuses what is not one; blocked IDs are dropped and hidden", async () => {
    const s = new MemoryClientStore();
    await recordIncoming(s, me, bob, text("buy"), 1);
    await declineRequest(s, bob);
    expect(await s.conversation(bob)).toBeUndefined();
    await expect(declineRequest(s, bob)).rejects.toMatchObject({ code: "NOT_A_REQUEST" });
    await recordIncoming(s, me, carol, text("spam"), 1);
    await s.setBlocked(carol, true);
    expect(await listRequests(s)).toEqual([]);
    expect(await recordIncoming(s, me, carol, text("more spam"), 2)).toEqual({
      deliver: false,
      isRequest: false,
    });
    expect((await s.conversation(carol))?.lastMessageAt).toBe(1);
  });

  it("our own synced message approves the conversation it was sent in", async () => {
    const s = new MemoryClientStore();
    const synced = { dataMessage: { body: "from my phone", syncTarget: bob } };
    expect(await recordIncoming(s, me, me, synced, 5)).toEqual({ deliver: true, isRequest: false });
    expect(await s.conversation(bob)).toMatchObject({ approved: true, lastMessageAt: 5 });
  });

  it("Session IDs are checked with a message that names the input", () => {
    expect(sessionIdArg(bob.toUpperCase().replace("0X", "0x"))).toBe(bob);
    expect(() => sessionIdArg("05abc")).toThrow("not a Session ID: 05abc");
  });
});
