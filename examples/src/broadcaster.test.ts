import { MemoryClientStore, type SessionClient } from "@session/client";
import { describe, expect, it } from "vitest";
import { Broadcaster } from "./broadcaster.ts";

/** A bot whose sends are recorded; `failAfter` sends, it "crashes" (throws). */
function fakeBot(store: MemoryClientStore, sent: string[], failAfter = Infinity) {
  return {
    store,
    now: () => 1000,
    poll: async () => [],
    sendText: async (to: string, text: string) => {
      if (sent.length >= failAfter) throw new Error("crash");
      sent.push(`${to}:${text}`);
      return { hash: "h", timestamp: 0, to };
    },
  } as unknown as SessionClient;
}

describe("Broadcaster", () => {
  it("an announcement interrupted by a crash resumes with the subscribers not yet told", async () => {
    const store = new MemoryClientStore();
    const sent: string[] = [];
    const first = new Broadcaster(fakeBot(store, sent, 3));
    for (const u of ["u1", "u2", "u3"]) await first.handle(u, "subscribe");
    await first.handle("u1", "subscribe"); // confirmed once only
    expect(sent).toEqual([
      "u1:Subscribed. Reply STOP to unsubscribe.",
      "u2:Subscribed. Reply STOP to unsubscribe.",
      "u3:Subscribed. Reply STOP to unsubscribe.",
    ]);
    sent.length = 0;
    const crashing = new Broadcaster(fakeBot(store, sent, 1));
    await expect(crashing.announce("news")).rejects.toThrow("crash");
    expect(sent).toEqual(["u1:news"]);
    await crashing.handle("u3", "stop");
    const restarted = new Broadcaster(fakeBot(store, sent));
    expect(await restarted.resume()).toBe(1);
    expect(sent).toEqual(["u1:news", "u2:news"]);
    expect(await restarted.resume()).toBe(0);
  });
});
