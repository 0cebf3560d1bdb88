import type { Hono } from "hono";
import type { DomainDeps } from "../domain/context.ts";
import { getFile, uploadFile } from "../domain/files.ts";
import { deleteAllFrom } from "../domain/messages.ts";
import { activeUsers, modFlags, roomInfo } from "../domain/room-info.ts";
import { requireAccessible, requireMod, requireRead, rightsOf } from "../domain/room-rights.ts";
import { updateRoom } from "../domain/room-update.ts";
import { allRooms } from "../domain/rooms.ts";
import { findUser, SESSION_ID_RE, touchRoomActivity } from "../domain/users.ts";
import { forbidden, notFound, SogsError } from "../errors.ts";
import { type C, type Env, intParam, jsonB64, jsonBody, requireUser, roomParam, userOf } from "./context.ts";

const nowS = (deps: DomainDeps) => deps.now() / 1000;

export function registerRoomRoutes(app: Hono<Env>, deps: DomainDeps) {
  app.get("/rooms", async (c) => {
    const user = userOf(c);
    const out = [];
    for (const room of await allRooms(deps.db)) {
      if ((await rightsOf(deps.db, room, user, nowS(deps))).accessible)
        out.push(await roomInfo(deps, room, user));
    }
    return c.json(out);
  });

  app.get("/room/:token", async (c) => {
    const room = await roomParam(deps, c);
    await requireAccessible(deps.db, room, userOf(c), nowS(deps));
    return c.json(await roomInfo(deps, room, userOf(c)));
  });

  app.put("/room/:token", async (c) => {
    const room = await roomParam(deps, c);
    await requireMod(deps.db, room, userOf(c), nowS(deps), true);
    return c.json({ info_updates: await updateRoom(deps, room, jsonBody(c)) });
  });

  app.get("/room/:token/pollInfo/:info_updated", async (c) => {
    const room = await roomParam(deps, c);
    const user = userOf(c);
    const rights = await requireRead(deps.db, room, user, nowS(deps));
    await touchRoomActivity(deps.db, room.id, user, nowS(deps));
    const out: Record<string, unknown> = {
      token: room.token,
      active_users: await activeUsers(deps.db, room, nowS(deps) - deps.limits.activeThresholdSeconds),
      read: rights.read,
      write: rights.write,
      upload: rights.upload,
    };
    if (room.infoUpdates !== intParam(c, "info_updated")) out.details = await roomInfo(deps, room, user);
    Object.assign(out, modFlags(room, rights, user));
    return c.json(out);
  });

  app.post("/room/:token/file", async (c) => {
    const room = await roomParam(deps, c);
    const user = requireUser(c);
    const id = await uploadFile(
      deps,
      room,
      user,
      c.get("rawBody"),
      filenameOf(c.req.header("content-disposition")),
    );
    return c.json({ id }, 201);
  });

  const serveFile = async (c: C) => {
    const room = await roomParam(deps, c);
    await requireRead(deps.db, room, userOf(c), nowS(deps));
    const file = await getFile(deps, room, intParam(c, "id"));
    if (!file) throw notFound("No such file");
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "content-disposition": file.filename
        ? `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`
        : "attachment",
      date: new Date(file.uploaded * 1000).toUTCString(),
    };
    if (file.expiry !== null) headers.expires = new Date(file.expiry * 1000).toUTCString();
    return c.body(file.data as Uint8Array<ArrayBuffer>, 200, headers);
  };
  app.get("/room/:token/file/:id", serveFile);
  app.get("/room/:token/file/:id/:filename", serveFile);

  app.delete("/room/:token/all/:sid", async (c) => {
    const room = await roomParam(deps, c);
    const me = requireUser(c);
    const poster = await targetUser(deps, c.req.param("sid"));
    if (!poster || (await deleteAllFrom(deps, room, me, poster)) === 0) throw notFound("No posts");
    return c.json({});
  });

  app.delete("/rooms/all/:sid", async (c) => {
    const me = requireUser(c);
    const poster = await targetUser(deps, c.req.param("sid"));
    const rooms: Record<string, number> = {};
    let total = 0;
    for (const room of await allRooms(deps.db)) {
      if (!poster) break;
      try {
        const n = await deleteAllFrom(deps, room, me, poster);
        rooms[room.token] = n;
        total += n;
      } catch (err) {
        if (!(err instanceof SogsError && err.status === 403)) throw err;
      }
    }
    return jsonB64(c, { total, rooms });
  });
}

async function targetUser(deps: DomainDeps, sid: string) {
  if (!SESSION_ID_RE.test(sid)) throw notFound();
  return findUser(deps.db, sid, deps.now() / 1000);
}

/** The filename of `Content-Disposition: attachment; filename="x"` or `filename*=UTF-8''x`. */
export function filenameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      return undefined;
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
  return plain ? (plain[1]?.replace(/\\(.)/g, "$1") ?? plain[2]?.trim()) : undefined;
}

export { forbidden };
