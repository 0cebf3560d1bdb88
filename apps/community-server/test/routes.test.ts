import { afterEach, describe, expect, it } from "vitest";
import { setRoomModerator } from "../src/domain/moderation.ts";
import { roomByToken } from "../src/domain/rooms.ts";
import { userForTarget } from "../src/domain/users.ts";
import { type Harness, json, startHarness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
const text = (v: string) => Buffer.from(v, "base64").toString();

async function makeMod(harness: Harness, sessionId: string, admin = false, visible = true) {
  const room = (await roomByToken(harness.deps.db, "lobby"))!;
  const user = await userForTarget(harness.community.deps, sessionId);
  await setRoomModerator(harness.community.deps, room, user, { admin, visible });
}

describe.each(["sqlite", "postgres"] as const)("community server routes (%s)", (db) => {
  it("capabilities, rooms and room info", async () => {
    h = await startHarness({ db });
    const caps = await fetch(`${h.url}/capabilities`);
    expect(await json(caps)).toEqual({ capabilities: ["blind", "reactions", "sogs"] });
    const missing = await fetch(`${h.url}/capabilities?required=sogs,nope`);
    expect(missing.status).toBe(412);
    expect((await json(missing)).missing).toEqual(["nope"]);
    const a = h.member();
    const rooms = await json(await a.req("GET", "/rooms"));
    expect(rooms).toHaveLength(1);
    expect(rooms[0]).toMatchObject({
      token: "lobby",
      name: "Lobby",
      description: "the open room",
      read: true,
      write: true,
      upload: true,
    });
    expect((await a.req("GET", "/room/nope")).status).toBe(404);
  });

  it("posts, polls by seqno (edits, deletions, reactions), recent, before and single", async () => {
    h = await startHarness({ db });
    const a = h.member();
    const b = h.member();
    const p1 = await a.post("lobby", "hello");
    expect(p1.status).toBe(201);
    const m1 = await json(p1);
    expect(m1).toMatchObject({ id: expect.any(Number), session_id: a.blindedId, seqno: 1, reactions: {} });
    expect(text(m1.data)).toBe("hello");
    const m2 = await json(await b.post("lobby", "hi a"));
    expect(m2.session_id).toBe(b.blindedId);
    expect(m2.session_id.startsWith("15")).toBe(true);

    const all = await json(await b.req("GET", "/room/lobby/messages/since/0"));
    expect(all.map((m: { data: string }) => text(m.data))).toEqual(["hello", "hi a"]);

    // edit, react, delete: each shows up in a poll since the last seqno
    expect(
      (
        await a.req("PUT", `/room/lobby/message/${m1.id}`, {
          data: b64("hello!"),
          signature: b64("x".repeat(64)),
        })
      ).status,
    ).toBe(200);
    const react = await json(await b.req("PUT", `/room/lobby/reaction/${m1.id}/👍`));
    expect(react).toEqual({ added: true, seqno: 4 });
    expect(await json(await b.req("PUT", `/room/lobby/reaction/${m1.id}/👍`))).toEqual({
      added: false,
      seqno: 4,
    });
    const since2 = await json(await a.req("GET", "/room/lobby/messages/since/2?t=r"));
    expect(since2).toHaveLength(1);
    expect(text(since2[0].data)).toBe("hello!");
    expect(since2[0].edited).toBeTypeOf("number");
    expect(since2[0].reactions["👍"]).toMatchObject({ count: 1, index: 0, reactors: [b.blindedId] });
    const since3 = await json(await a.req("GET", "/room/lobby/messages/since/3?t=r"));
    expect(since3).toEqual([
      { id: m1.id, seqno: 4, reactions: { "👍": { count: 1, index: 0, reactors: [b.blindedId] } } },
    ]);
    // without t=r a reaction-only change is not returned
    expect(await json(await a.req("GET", "/room/lobby/messages/since/3"))).toEqual([]);
    const bSees = await json(await b.req("GET", `/room/lobby/message/${m1.id}`));
    expect(bSees.reactions["👍"].you).toBe(true);
    expect(await json(await a.req("GET", `/room/lobby/reactors/${m1.id}/👍`))).toEqual([
      [b.blindedId, expect.any(Number)],
    ]);
    expect(await json(await b.req("DELETE", `/room/lobby/reaction/${m1.id}/👍`))).toEqual({
      removed: true,
      seqno: 5,
    });

    expect((await b.req("DELETE", `/room/lobby/message/${m1.id}`)).status).toBe(403);
    expect((await a.req("DELETE", `/room/lobby/message/${m1.id}`)).status).toBe(200);
    const since5 = await json(await b.req("GET", "/room/lobby/messages/since/5"));
    expect(since5).toEqual([
      {
        id: m1.id,
        session_id: a.blindedId,
        posted: expect.any(Number),
        seqno: 6,
        data: null,
        deleted: true,
        edited: expect.any(Number),
      },
    ]);
    expect((await b.req("GET", `/room/lobby/message/${m1.id}`)).status).toBe(404);
    const recent = await json(await b.req("GET", "/room/lobby/messages/recent?limit=10"));
    expect(recent.map((m: { id: number }) => m.id)).toEqual([m2.id]);
    const m3 = await json(await b.post("lobby", "third"));
    expect(
      (await json(await b.req("GET", `/room/lobby/messages/before/${m3.id}`))).map(
        (m: { id: number }) => m.id,
      ),
    ).toEqual([m2.id]);
    expect((await b.req("PUT", `/room/lobby/reaction/${m2.id}/${"x".repeat(13)}`)).status).toBe(400);
  });

  it("pins, room updates and images need an admin; pollInfo reports changes", async () => {
    h = await startHarness({ db });
    const admin = h.member();
    const user = h.member();
    await makeMod(h, admin.blindedId, true);
    const m = await json(await user.post("lobby", "pin me"));
    expect((await user.req("POST", `/room/lobby/pin/${m.id}`)).status).toBe(403);
    const before = (await json(await user.req("GET", "/room/lobby"))).info_updates;
    const pinned = await json(await admin.req("POST", `/room/lobby/pin/${m.id}`));
    expect(pinned.info_updates).toBe(before + 1);
    const info = await json(await user.req("GET", "/room/lobby"));
    expect(info.pinned_messages).toEqual([
      { id: m.id, pinned_at: expect.any(Number), pinned_by: admin.blindedId },
    ]);
    expect(info.admins).toEqual([admin.blindedId]);
    const poll = await json(await user.req("GET", `/room/lobby/pollInfo/${before}`));
    expect(poll.details.pinned_messages).toHaveLength(1);
    expect(
      (await json(await user.req("GET", `/room/lobby/pollInfo/${pinned.info_updates}`))).details,
    ).toBeUndefined();
    expect(await json(await admin.req("POST", "/room/lobby/unpin/all"))).toEqual({
      unpinned: 1,
      info_updates: pinned.info_updates + 1,
    });

    expect((await user.req("PUT", "/room/lobby", { name: "x" })).status).toBe(403);
    const up = await admin.req("POST", "/room/lobby/file", new Uint8Array([1, 2, 3]));
    expect(up.status).toBe(201);
    const { id } = await json(up);
    expect((await admin.req("PUT", "/room/lobby", { name: "New\nname", image: id })).status).toBe(200);
    const after = await json(await user.req("GET", "/room/lobby"));
    expect(after).toMatchObject({ name: "Newname", image_id: id });
    expect((await admin.req("PUT", "/room/lobby", {})).status).toBe(400);
    expect((await admin.req("PUT", "/room/lobby", { image: 9999 })).status).toBe(406);
    // the image no longer expires
    h.clock.advance(2 * 3600_000);
    const img = await user.req("GET", `/room/lobby/file/${id}`);
    expect(img.status).toBe(200);
    expect([...new Uint8Array(await img.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it("files: upload limits, names, expiry unless attached", async () => {
    h = await startHarness({ db, limits: { maxFileBytes: 1000 } });
    const a = h.member();
    const r = await fetch(`${h.url}/room/lobby/file`, {
      method: "POST",
      headers: {
        ...a.headers("POST", "/room/lobby/file", new Uint8Array(5)),
        "content-disposition": 'attachment; filename="cat.jpg"',
      },
      body: new Uint8Array(5),
    });
    const { id } = await json(r);
    const got = await a.req("GET", `/room/lobby/file/${id}`);
    expect(got.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''cat.jpg");
    expect((await a.req("POST", "/room/lobby/file", new Uint8Array(1001))).status).toBe(413);
    expect(
      (await fetch(`${h.url}/room/lobby/file`, { method: "POST", body: new Uint8Array(3) })).status,
    ).toBe(401);
    const { id: id2 } = await json(await a.req("POST", "/room/lobby/file", new Uint8Array(7)));
    await a.post("lobby", "with file", { files: [id2] });
    h.clock.advance(3601_000);
    expect((await a.req("GET", `/room/lobby/file/${id}`)).status).toBe(404);
    expect((await a.req("GET", `/room/lobby/file/${id2}`)).status).toBe(200);
    expect(await h.community.sweep()).toBeGreaterThan(0);
  });

  it("moderation: bans with timeouts, unbans, delete-all, hidden mods, permissions", async () => {
    h = await startHarness({ db });
    const mod = h.member();
    const admin = h.member();
    const troll = h.member();
    const hidden = h.member();
    await makeMod(h, mod.blindedId);
    await makeMod(h, admin.blindedId, true);
    await makeMod(h, hidden.blindedId, false, false);
    await troll.post("lobby", "spam 1");
    await troll.post("lobby", "spam 2");
    expect((await troll.req("POST", `/user/${mod.blindedId}/ban`, { rooms: ["lobby"] })).status).toBe(403);
    expect((await mod.req("POST", `/user/${admin.blindedId}/ban`, { rooms: ["lobby"] })).status).toBe(403);
    expect(
      (await mod.req("POST", `/user/${troll.blindedId}/ban`, { rooms: ["lobby"], timeout: 60 })).status,
    ).toBe(200);
    expect((await troll.post("lobby", "spam 3")).status).toBe(403);
    expect((await troll.req("GET", "/room/lobby")).status).toBe(404);
    h.clock.advance(61_000);
    expect((await troll.post("lobby", "back")).status).toBe(201);
    await mod.req("POST", `/user/${troll.blindedId}/ban`, { rooms: ["lobby"] });
    expect((await troll.post("lobby", "x")).status).toBe(403);
    expect((await mod.req("POST", `/user/${troll.blindedId}/unban`, { rooms: ["lobby"] })).status).toBe(200);
    expect((await troll.post("lobby", "y")).status).toBe(201);

    expect((await troll.req("DELETE", `/room/lobby/all/${mod.blindedId}`)).status).toBe(403);
    expect((await mod.req("DELETE", `/room/lobby/all/${troll.blindedId}`)).status).toBe(200);
    expect(await json(await mod.req("GET", "/room/lobby/messages/recent"))).toEqual([]);

    const asUser = await json(await troll.req("GET", "/room/lobby"));
    expect(asUser.moderators).toEqual([mod.blindedId]);
    expect(asUser.hidden_moderators).toBeUndefined();
    const asMod = await json(await mod.req("GET", "/room/lobby"));
    expect(asMod.hidden_moderators).toEqual([hidden.blindedId]);
    expect(asMod).toMatchObject({ moderator: true, default_read: true, default_write: true });

    // per-user permissions and room defaults
    expect(
      (await mod.req("POST", `/room/lobby/permissions/${troll.blindedId}`, { write: false })).status,
    ).toBe(200);
    expect((await troll.post("lobby", "z")).status).toBe(403);
    expect(await json(await mod.req("GET", `/room/lobby/permissions/${troll.blindedId}`))).toEqual({
      write: false,
    });
    expect(
      (await mod.req("POST", `/room/lobby/permissions/${troll.blindedId}`, { default_write: true })).status,
    ).toBe(200);
    expect((await troll.post("lobby", "z")).status).toBe(201);
    expect((await admin.req("PUT", "/room/lobby", { default_write: false })).status).toBe(200);
    expect((await h.member().post("lobby", "new user")).status).toBe(403);
    const perms = await json(await mod.req("GET", "/room/lobby/permissions"));
    expect(perms[hidden.blindedId]).toEqual({ moderator: true, hidden: true });

    // admin grants moderator via the API, by blinded ID
    const newbie = h.member();
    await newbie.req("GET", "/rooms");
    expect(
      (await mod.req("POST", `/user/${newbie.blindedId}/moderator`, { rooms: ["lobby"], moderator: true }))
        .status,
    ).toBe(403);
    expect(
      (await admin.req("POST", `/user/${newbie.blindedId}/moderator`, { rooms: ["lobby"], moderator: true }))
        .status,
    ).toBe(200);
    expect((await json(await troll.req("GET", "/room/lobby"))).moderators).toContain(newbie.blindedId);
  });

  it("a moderator named by 05 Session ID becomes the blinded user on first sign-in", async () => {
    h = await startHarness({ db });
    const m = h.member();
    await makeMod(h, m.keys.sessionId);
    const info = await json(await m.req("GET", "/room/lobby"));
    expect(info.moderator).toBe(true);
    expect(info.moderators).toEqual([m.blindedId]);
  });

  it("whispers reach only their target and moderators", async () => {
    h = await startHarness({ db });
    const mod = h.member();
    const a = h.member();
    const b = h.member();
    await makeMod(h, mod.blindedId);
    await a.req("GET", "/rooms");
    expect((await a.post("lobby", "psst", { whisper_to: b.blindedId })).status).toBe(403);
    const w = await json(await mod.post("lobby", "psst", { whisper_to: a.blindedId }));
    expect(w).toMatchObject({ whisper: true, whisper_mods: false, whisper_to: a.blindedId });
    expect(await json(await a.req("GET", "/room/lobby/messages/recent"))).toHaveLength(1);
    expect(await json(await b.req("GET", "/room/lobby/messages/recent"))).toHaveLength(0);
    expect(await json(await fetch(`${h.url}/room/lobby/messages/recent`))).toHaveLength(0);
  });

  it("blinded DMs: inbox, outbox, polling, clearing", async () => {
    h = await startHarness({ db });
    const a = h.member();
    const b = h.member();
    expect((await a.req("POST", `/inbox/${b.blindedId}`, { message: b64("hi") })).status).toBe(404);
    await b.req("GET", "/inbox");
    const sent = await a.req("POST", `/inbox/${b.blindedId}`, { message: b64("hi") });
    expect(sent.status).toBe(201);
    const view = await json(sent);
    expect(view).toEqual({
      id: expect.any(Number),
      posted_at: expect.any(Number),
      expires_at: expect.any(Number),
      sender: a.blindedId,
      recipient: b.blindedId,
    });
    const inbox = await json(await b.req("GET", "/inbox"));
    expect(inbox).toHaveLength(1);
    expect(text(inbox[0].message)).toBe("hi");
    expect((await b.req("GET", `/inbox/since/${view.id}`)).status).toBe(304);
    expect(await json(await a.req("GET", "/outbox"))).toHaveLength(1);
    expect(await json(await b.req("DELETE", "/inbox"))).toEqual({ deleted: 1 });
    expect((await fetch(`${h.url}/inbox`)).status).toBe(401);
    expect((await a.req("POST", `/inbox/${b.blindedId}`, {})).status).toBe(400);
  });

  it("batch and sequence run sub-requests as the outer request's user", async () => {
    h = await startHarness({ db });
    const a = h.member();
    const res = await json(
      await a.req("POST", "/batch", [
        { method: "GET", path: "/capabilities" },
        {
          method: "POST",
          path: "/room/lobby/message",
          json: { data: b64("from batch"), signature: b64("s".repeat(64)) },
        },
        { method: "GET", path: "/room/lobby/messages/since/0" },
        { method: "GET", path: "/room/nope" },
      ]),
    );
    expect(res.map((r: { code: number }) => r.code)).toEqual([200, 201, 200, 404]);
    expect(res[1].body.session_id).toBe(a.blindedId);
    expect(text(res[2].body[0].data)).toBe("from batch");
    const seq = await json(
      await a.req("POST", "/sequence", [
        { method: "GET", path: "/room/nope" },
        { method: "GET", path: "/capabilities" },
      ]),
    );
    expect(seq).toHaveLength(1);
    expect((await a.req("POST", "/batch", [{ method: "PATCH", path: "/x" }])).status).toBe(400);
    expect((await a.req("POST", "/batch", { method: "GET" })).status).toBe(400);
  });
});
