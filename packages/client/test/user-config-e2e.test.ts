import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createIdentity, type IncomingMessage, restoreIdentity, SessionClient } from "../src/index.ts";
import { devnetForSuite } from "./helpers.ts";
import { runSession } from "./session-cli.ts";

// Linked devices converge on contacts, accepted requests, blocked IDs and the profile through the
// account's config namespaces (2, 3, 4) on a real devnet swarm.

const net = devnetForSuite("client-userconfig", { nodes: 6, pushServer: false });
const { dir, clients } = net;

let dirs = 0;
async function device(phrase?: string): Promise<SessionClient> {
  const identity = phrase ? restoreIdentity(phrase) : createIdentity();
  const c = new SessionClient({
    identity,
    seeds: [net.devnet.seed],
    fileServer: net.devnet.fileServer!,
    dataDir: join(dir, `d${dirs++}`),
  });
  clients.push(c);
  await c.connect();
  return c;
}

/** Polls until a message matching `pred` has arrived. */
async function until(c: SessionClient, pred: (m: IncomingMessage) => boolean): Promise<IncomingMessage> {
  let found: IncomingMessage | undefined;
  await expect
    .poll(
      async () => {
        found ??= (await c.poll()).find(pred);
        return found !== undefined;
      },
      { timeout: 30_000, interval: 200 },
    )
    .toBe(true);
  return found!;
}

async function view(c: SessionClient) {
  return {
    blocked: await c.blocked(),
    contacts: (await c.contacts()).map((x) => x.sessionId).sort(),
    requests: (await c.requests()).map((x) => x.sessionId).sort(),
    profile: await c.profile(),
  };
}

describe("linked devices through the user's config namespaces", () => {
  it("two devices restored from one phrase make concurrent changes and converge", async () => {
    const me = createIdentity();
    const phone = await device(me.recoveryPhrase);
    const laptop = await device(me.recoveryPhrase);
    expect(laptop.sessionId).toBe(phone.sessionId);
    const x = await device();
    const y = await device();
    await x.sendText(me.sessionId, "spam from x");
    await y.sendText(me.sessionId, "hello from y");
    for (const d of [phone, laptop]) {
      await until(d, (m) => m.text === "hello from y");
      expect((await d.requests()).map((r) => r.sessionId).sort()).toEqual([x.sessionId, y.sessionId].sort());
    }

    // Concurrently: the phone blocks x and names itself; the laptop accepts y and sets a name and picture.
    const picture = new Uint8Array(randomBytes(30_000));
    await Promise.all([
      (async () => {
        await phone.block(x.sessionId);
        await phone.setProfile({ name: "Me on my phone" });
      })(),
      (async () => {
        await laptop.accept(y.sessionId);
        await laptop.setProfile({ name: "Me on my laptop", picture });
      })(),
    ]);

    await expect
      .poll(
        async () => {
          await phone.poll();
          await laptop.poll();
          const [p, l] = [await view(phone), await view(laptop)];
          return JSON.stringify(p) === JSON.stringify(l) ? p : { phone: p, laptop: l };
        },
        { timeout: 60_000, interval: 250 },
      )
      .toMatchObject({
        blocked: [x.sessionId],
        contacts: [y.sessionId],
        requests: [],
        profile: { name: expect.stringMatching(/^Me on my (phone|laptop)$/), pictureUrl: expect.any(String) },
      });
    // The same merged config messages on both devices.
    expect(phone.configs.contacts.seqno).toBe(laptop.configs.contacts.seqno);
    expect(Buffer.from(phone.configs.contacts.serialize())).toEqual(
      Buffer.from(laptop.configs.contacts.serialize()),
    );
    expect(Buffer.from(phone.configs.profile.serialize())).toEqual(
      Buffer.from(laptop.configs.profile.serialize()),
    );
    // The picture is an attachment the other device can fetch and open.
    expect(Buffer.from((await phone.profilePicture())!)).toEqual(Buffer.from(picture));

    // y learns it was accepted, with our profile.
    const response = await until(y, (m) => m.content.messageRequestResponse !== undefined);
    expect(response.content.messageRequestResponse?.isApproved).toBe(true);

    // A blocked ID's messages are dropped on both devices (the phone blocked, the laptop follows).
    await x.sendText(me.sessionId, "more spam");
    await y.sendText(me.sessionId, "marker");
    for (const d of [phone, laptop]) {
      const seen: IncomingMessage[] = [];
      await expect
        .poll(
          async () => {
            seen.push(...(await d.poll()));
            return seen.some((m) => m.text === "marker");
          },
          { timeout: 30_000, interval: 200 },
        )
        .toBe(true);
      expect(seen.map((m) => m.text)).not.toContain("more spam");
      expect(seen.find((m) => m.text === "marker")?.isRequest).toBe(false);
    }

    // A third device restored later takes the whole state from the swarm.
    const tablet = await device(me.recoveryPhrase);
    await tablet.poll();
    expect(await view(tablet)).toMatchObject({
      blocked: [x.sessionId],
      contacts: [y.sessionId],
      profile: await phone.profile(),
    });
  }, 240_000);

  it("session profile set on one device shows on another; the CLI's block reaches the SDK device", async () => {
    const me = createIdentity();
    const cliDir = join(dir, "cli");
    const cliNet = ["--data-dir", cliDir, "--network", net.devnet.seed];
    const fs = [
      "--file-server",
      net.devnet.fileServer!.url,
      "--file-server-key",
      net.devnet.fileServer!.x25519,
    ];
    expect((await runSession(["id", "restore", me.recoveryPhrase, "--data-dir", cliDir])).code).toBe(0);
    const pic = join(dir, "me.png");
    const image = new Uint8Array(randomBytes(5_000));
    writeFileSync(pic, image);
    const set = await runSession([
      "profile",
      "set",
      "--name",
      "Command Line",
      "--picture",
      pic,
      ...cliNet,
      ...fs,
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain("name:    Command Line");
    const spammer = createIdentity().sessionId;
    expect((await runSession(["block", spammer, ...cliNet])).stdout).toContain(`blocked ${spammer}`);

    const sdk = await device(me.recoveryPhrase);
    await expect
      .poll(
        async () => {
          await sdk.poll();
          return { profile: await sdk.profile(), blocked: await sdk.blocked() };
        },
        { timeout: 30_000, interval: 250 },
      )
      .toMatchObject({ profile: { name: "Command Line" }, blocked: [spammer] });
    expect(Buffer.from((await sdk.profilePicture())!)).toEqual(Buffer.from(image));
    const shown = await runSession(["profile", ...cliNet]);
    expect(shown.stdout).toContain("name:    Command Line");
    expect((await runSession(["profile", "set", ...cliNet])).stderr).toContain("usage: session profile set");
    const noServer = await runSession(["profile", "set", "--picture", pic, ...cliNet]);
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toContain("--picture needs a file server");
    const missing = await runSession([
      "profile",
      "set",
      "--picture",
      join(dir, "nope.png"),
      ...cliNet,
      ...fs,
    ]);
    expect(missing.stderr).toContain("file not found");
  }, 180_000);
});
