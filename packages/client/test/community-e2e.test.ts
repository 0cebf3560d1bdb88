import { join } from "node:path";
import { runAdmin } from "@session/community-server";
import { describe, expect, it } from "vitest";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("session-community-e2e", { nodes: 6, pushServer: false, fileServer: false });
const { dir, session } = net;

describe("session community on the devnet", () => {
  it("two identities join through onion paths, post, react, DM; a moderator bans one", async () => {
    const cs = net.devnet.communityServer!;
    // The server answers clients only through onion requests.
    expect((await fetch(`${cs.url}/room/lobby`)).status).toBe(403);
    const a = join(dir, "alice");
    const b = join(dir, "bob");
    const aliceId = await net.newSessionId(a);
    const bobId = await net.newSessionId(b);

    // The operator makes alice a moderator by her Session ID, before she ever signs in.
    await runAdmin(
      ["add-moderator", aliceId, "--room", "lobby", "--data-dir", join(dir, "net", "community-server")],
      () => {},
    );

    const joinedA = await session(["community", "join", cs.joinUrl], a);
    expect(joinedA.stderr).toBe("");
    const aliceBlinded = /as (15[0-9a-f]{64})/.exec(joinedA.stdout)![1]!;
    const bobBlinded = /as (15[0-9a-f]{64})/.exec(
      (await session(["community", "join", cs.joinUrl], b)).stdout,
    )![1]!;

    const posted = await session(["community", "post", "hello from alice"], a);
    const msgId = /posted #(\d+)/.exec(posted.stdout)![1]!;
    expect((await session(["community", "post", "hi alice", "--reply-to", msgId], b)).code).toBe(0);
    expect((await session(["community", "react", msgId, "🎉"], b)).stdout.trim()).toBe("reacted");

    const readA = (await session(["community", "read"], a)).stdout;
    expect(readA).toContain(`#${msgId} ${aliceBlinded}: hello from alice  [🎉1]`);
    expect(readA).toContain(`${bobBlinded}: hi alice (reply to ${aliceBlinded.slice(0, 10)}…)`);
    // only blinded IDs: neither Session ID appears
    expect(readA).not.toContain(bobId);
    expect(readA).not.toContain(aliceId);

    expect((await session(["community", "dm", aliceBlinded, "psst, bob here"], b)).stdout).toMatch(
      /^sent DM #\d+/,
    );
    const readDm = (await session(["community", "read"], a)).stdout;
    expect(readDm).toContain(`DM from ${bobBlinded} (${bobId}): psst, bob here`);

    expect((await session(["community", "ban", bobBlinded], a)).stdout.trim()).toBe("banned");
    const refused = await session(["community", "post", "am I banned?"], b);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*(403|404)/);
  }, 240_000);
});
