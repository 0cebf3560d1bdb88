import type { Hono } from "hono";
import type { DomainDeps } from "../domain/context.ts";
import {
  deleteMessage,
  editMessage,
  type MessageQuery,
  messagesFor,
  pin,
  postMessage,
  unpin,
} from "../domain/messages.ts";
import { addReaction, clearReactions, reactors, removeReaction } from "../domain/reactions.ts";
import { requireMod, requireRead } from "../domain/room-rights.ts";
import { touchRoomActivity } from "../domain/users.ts";
import { badRequest, notFound, SogsError } from "../errors.ts";
import {
  base64Field,
  type C,
  type Env,
  intParam,
  intQuery,
  jsonB64,
  jsonBody,
  limitQuery,
  requireUser,
  roomParam,
  userOf,
} from "./context.ts";

export interface PostGate {
  /** Throws 429 when `user` may not post to `room` now (per-ID and per-room rate limits). */
  admitPost(roomToken: string, sessionId: string): void;
}

function filesField(v: unknown): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(Number(x))))
    throw badRequest("files must be integers");
  return v.map(Number);
}

export function registerMessageRoutes(app: Hono<Env>, deps: DomainDeps, gate: PostGate) {
  const nowS = () => deps.now() / 1000;
  const list = (q: (c: C) => MessageQuery) => async (c: C) => {
    const room = await roomParam(deps, c);
    const user = userOf(c);
    await requireRead(deps.db, room, user, nowS());
    await touchRoomActivity(deps.db, room.id, user, nowS());
    const msgs = await messagesFor(deps, room, user, q(c), {
      limit: limitQuery(c),
      reactors: intQuery(c, "reactors", 4, 0, 20),
    });
    return jsonB64(c, msgs);
  };
  app.get(
    "/room/:token/messages/since/:seqno",
    list((c) => ({
      kind: "since",
      seqno: intParam(c, "seqno"),
      reactionUpdates: (c.req.query("t") ?? "").includes("r"),
    })),
  );
  app.get(
    "/room/:token/messages/before/:id",
    list((c) => ({ kind: "before", id: intParam(c, "id") })),
  );
  app.get(
    "/room/:token/messages/recent",
    list(() => ({ kind: "recent" })),
  );
  app.get("/room/:token/message/:id", async (c) => {
    const room = await roomParam(deps, c);
    const user = userOf(c);
    await requireRead(deps.db, room, user, nowS());
    const msgs = await messagesFor(
      deps,
      room,
      user,
      { kind: "single", id: intParam(c, "id") },
      { limit: 1, reactors: intQuery(c, "reactors", 4, 0, 20) },
    );
    if (msgs.length === 0) throw notFound("No such message");
    return jsonB64(c, msgs[0]);
  });

  app.post("/room/:token/message", async (c) => {
    const room = await roomParam(deps, c);
    const user = requireUser(c);
    const req = jsonBody(c);
    gate.admitPost(room.token, user.sessionId);
    const msg = await postMessage(deps, room, user, {
      data: base64Field(req, "data"),
      signature: base64Field(req, "signature"),
      whisperTo: typeof req.whisper_to === "string" ? req.whisper_to : undefined,
      whisperMods: Boolean(req.whisper_mods),
      files: filesField(req.files),
    });
    return jsonB64(c, msg, 201);
  });

  app.put("/room/:token/message/:id", async (c) => {
    const room = await roomParam(deps, c);
    const user = requireUser(c);
    const req = jsonBody(c);
    gate.admitPost(room.token, user.sessionId);
    await editMessage(deps, room, user, intParam(c, "id"), {
      data: base64Field(req, "data"),
      signature: base64Field(req, "signature"),
      files: filesField(req.files),
    });
    return c.json({});
  });

  app.delete("/room/:token/message/:id", async (c) => {
    const room = await roomParam(deps, c);
    await deleteMessage(deps, room, requireUser(c), intParam(c, "id"));
    return c.json({});
  });

  app.post("/room/:token/pin/:id", async (c) => {
    const room = await roomParam(deps, c);
    const admin = requireUser(c);
    await requireMod(deps.db, room, admin, nowS(), true);
    return c.json({ info_updates: await pin(deps, room, admin, intParam(c, "id")) });
  });
  app.post("/room/:token/unpin/all", async (c) => {
    const room = await roomParam(deps, c);
    await requireMod(deps.db, room, requireUser(c), nowS(), true);
    const [count, info] = await unpin(deps, room, undefined);
    return c.json({ unpinned: count, info_updates: info });
  });
  app.post("/room/:token/unpin/:id", async (c) => {
    const room = await roomParam(deps, c);
    await requireMod(deps.db, room, requireUser(c), nowS(), true);
    const [count, info] = await unpin(deps, room, intParam(c, "id"));
    return c.json({ unpinned: count > 0, info_updates: info });
  });

  const reaction = (c: C) => {
    const r = c.req.param("reaction");
    if (!r) throw badRequest("No reaction provided");
    return r;
  };
  app.put("/room/:token/reaction/:id/:reaction{.+}", async (c) => {
    const room = await roomParam(deps, c);
    const user = requireUser(c);
    await requireRead(deps.db, room, user, nowS());
    return c.json(await addReaction(deps, room, user, intParam(c, "id"), reaction(c)));
  });
  app.delete("/room/:token/reaction/:id/:reaction{.+}", async (c) => {
    const room = await roomParam(deps, c);
    const user = requireUser(c);
    await requireRead(deps.db, room, user, nowS());
    return c.json(await removeReaction(deps, room, user, intParam(c, "id"), reaction(c)));
  });
  const clear = async (c: C) => {
    const room = await roomParam(deps, c);
    await requireMod(deps.db, room, requireUser(c), nowS());
    return c.json(await clearReactions(deps, room, intParam(c, "id"), c.req.param("reaction")));
  };
  app.delete("/room/:token/reactions/:id/:reaction{.+}", clear);
  app.delete("/room/:token/reactions/:id", clear);
  app.get("/room/:token/reactors/:id/:reaction{.+}", async (c) => {
    const room = await roomParam(deps, c);
    await requireRead(deps.db, room, userOf(c), nowS());
    const limit = intQuery(c, "limit", 0, -1, Number.MAX_SAFE_INTEGER);
    return c.json(await reactors(deps, room, intParam(c, "id"), reaction(c), limit > 0 ? limit : undefined));
  });
}

export { SogsError };
