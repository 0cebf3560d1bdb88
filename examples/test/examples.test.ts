import { createIdentity, type IncomingMessage, SessionClient } from "@session/client";
import { devnetForTests } from "@session/devnet/testing";
import { describe, expect, it, vi } from "vitest";
import { Broadcaster, TwoFactorSender } from "../src/index.ts";

const net = devnetForTests("examples", { nodes: 12, fileServer: false, pushServer: false });

async function client() {
  const c = new SessionClient({ identity: createIdentity(), seeds: [net.devnet.seed] });
  await c.connect();
  return c;
}

/** Polls the inbox until a message matching `pred` has arrived. */
function next(c: SessionClient, pred: (m: IncomingMessage) => boolean) {
  return vi.waitFor(
    async () => {
      const m = (await c.poll()).find(pred);
      if (!m) throw new Error("no message");
      return m;
    },
    { timeout: 10_000, interval: 100 },
  );
}

describe("examples on the devnet", () => {
  it("2FA: the user receives a disappearing code that verifies once", async () => {
    const bot = await client();
    const user = await client();
    const twofa = new TwoFactorSender(bot);
    expect(await twofa.sendCode(user.sessionId)).toMatchObject({ sent: true });
    // No second code while the first is fresh.
    expect(await twofa.sendCode(user.sessionId)).toMatchObject({ sent: false });
    const m = await next(user, (x) => x.from === bot.sessionId);
    const code = /code is (\d{6})/.exec(m.text ?? "")![1]!;
    expect(m.expiration).toEqual({ type: "after-send", seconds: 300 });
    expect(
      await twofa.verify(
        user.sessionId,
        "000000".replace(/./g, (_, i) => String((Number(code[i]) + 1) % 10)),
      ),
    ).toBe(false);
    expect(await twofa.verify(user.sessionId, code)).toBe(true);
    expect(await twofa.verify(user.sessionId, code)).toBe(false); // single use
  }, 60_000);

  it("broadcaster: subscribers opt in by message and receive announcements; STOP opts out", async () => {
    const bot = await client();
    const b = new Broadcaster(bot);
    const [u1, u2, u3] = [await client(), await client(), await client()];
    await u1!.sendText(bot.sessionId, "subscribe");
    await u2!.sendText(bot.sessionId, "SUBSCRIBE");
    for (let i = 0; i < 50 && (await b.subscribers()).length < 2; i++) await b.processInbox();
    expect((await b.subscribers()).sort()).toEqual([u1!.sessionId, u2!.sessionId].sort());
    expect(await b.announce("Service window tonight at 22:00")).toBe(2);
    for (const u of [u1!, u2!])
      expect((await next(u, (m) => m.text?.startsWith("Service window") ?? false)).from).toBe(bot.sessionId);
    expect(await u3!.poll()).toEqual([]);
    await u1!.sendText(bot.sessionId, "stop");
    for (let i = 0; i < 50 && (await b.subscribers()).length > 1; i++) await b.processInbox();
    expect(await b.subscribers()).toEqual([u2!.sessionId]);
  }, 60_000);
});
