import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createCommunityServer,
  createRoom,
  DEFAULT_LIMITS,
  DEFAULT_RATE_LIMITS,
  loadServerKeys,
  openSqlite,
} from "@session/community-server";
import { keypairFromSeed, toHex } from "@session/crypto";
import { createLogger, type RunningServer, startServer } from "@session/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Community } from "./community.ts";
import { directRequester } from "./community-requester.ts";
import { parseCommunityUrl } from "./community-url.ts";

/** A community server over SQLite in `dir` with one open room, "lobby", on a loopback port. */
async function startLobbyServer(dir: string): Promise<{ server: RunningServer; url: string }> {
  const keys = await loadServerKeys(join(dir, "k"));
  const community = createCommunityServer({
    db: openSqlite(join(dir, "c.db")),
    keys,
    now: Date.now,
    logger: createLogger({ name: "t", level: "silent" }),
    limits: DEFAULT_LIMITS,
    rateLimits: DEFAULT_RATE_LIMITS,
    directClientRoutes: true,
  });
  await createRoom(community.deps, { token: "lobby", name: "Lobby" });
  const server = await startServer(community.app, { port: 0, graceMs: 500 });
  return { server, url: `${server.url}/lobby?public_key=${toHex(keys.publicKey)}` };
}

describe("parseCommunityUrl", () => {
  it("reads Session's join link", () => {
    const key = "ab".repeat(32);
    expect(parseCommunityUrl(`https://open.example.org/lobby?public_key=${key}`)).toEqual({
      baseUrl: "https://open.example.org",
      room: "lobby",
      serverPk: key,
    });
    expect(parseCommunityUrl(`http://127.0.0.1:8090/r/lobby?public_key=${key.toUpperCase()}`).room).toBe(
      "lobby",
    );
    for (const bad of [
      "nope",
      `ftp://x/lobby?public_key=${key}`,
      "https://x/lobby",
      `https://x/a/b/c?public_key=${key}`,
    ]) {
      expect(() => parseCommunityUrl(bad)).toThrow(/community URL|not a community/);
    }
  });
});

describe("Community SDK against a community server", () => {
  let server: RunningServer;
  let dir: string;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "community-sdk-"));
    ({ server, url } = await startLobbyServer(dir));
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("two members post, reply, react, attach, edit, delete and exchange a blinded DM", async () => {
    const alice = keypairFromSeed(new Uint8Array(32).fill(1));
    const bob = keypairFromSeed(new Uint8Array(32).fill(2));
    const a = new Community(alice.ed25519.secretKey, url, directRequester(parseCommunityUrl(url)));
    const b = new Community(bob.ed25519.secretKey, url, directRequester(parseCommunityUrl(url)));
    expect((await a.join()).token).toBe("lobby");
    await b.join();
    const hello = await a.post("hello from alice");
    const file = await b.upload(new Uint8Array([9, 8, 7]), "x.bin");
    await b.post("hi alice", { replyTo: hello, files: [file] });
    expect([...(await a.download(file))]).toEqual([9, 8, 7]);
    expect(await b.react(hello.id, "🎉")).toBe(true);

    const polled = await a.poll();
    // seqno order: the reaction made alice's message the latest change
    expect(polled.messages.map((m) => m.text)).toEqual(["hi alice", "hello from alice"]);
    const reply = polled.messages[0]!;
    expect(reply.sender).toBe(b.blindedId);
    expect(reply.sender).not.toContain(bob.sessionId.slice(2));
    expect(reply.content?.dataMessage?.quote?.author).toBe(a.blindedId);
    expect(a.messages.get(hello.id)?.reactions["🎉"]?.count).toBe(1);

    await a.edit(hello.id, "hello (edited)");
    await b.delete((await b.recent()).find((m) => m.text === "hi alice")!.id);
    const next = await a.poll();
    expect(next.messages.map((m) => [m.text, m.deleted ?? false])).toEqual([
      ["hello (edited)", false],
      [undefined, true],
    ]);

    await b.sendDm(a.blindedId, "psst");
    const dms = (await a.poll()).dms;
    expect(dms).toEqual([
      {
        id: expect.any(Number),
        sender: b.blindedId,
        recipient: a.blindedId,
        senderSessionId: bob.sessionId,
        text: "psst",
      },
    ]);
    expect((await a.poll()).dms).toEqual([]);
    await expect(b.sendDm("05".padEnd(66, "0"), "x")).rejects.toThrow("not a blinded ID");
    await expect(a.react(999_999, "x")).rejects.toThrow(/404/);
  });
});
