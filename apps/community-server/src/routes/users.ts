import type { Hono } from "hono";
import type { DomainDeps } from "../domain/context.ts";
import {
  banFromRoom,
  banGlobally,
  type PermissionKey,
  permissionTable,
  removeRoomModerator,
  setGlobalModerator,
  setPermissions,
  setRoomModerator,
  unbanFromRoom,
  unbanGlobally,
  userPermissions,
} from "../domain/moderation.ts";
import { requireMod, rightsOf } from "../domain/room-rights.ts";
import { allRooms, type Room, roomByToken } from "../domain/rooms.ts";
import { type User, userForTarget } from "../domain/users.ts";
import { badRequest, forbidden, notFound } from "../errors.ts";
import { type Env, jsonBody, requireUser, roomParam, userOf } from "./context.ts";

/** SOGS extract_rooms_or_global: the rooms named (each needing mod/admin) or the global flag. */
async function roomsOrGlobal(
  deps: DomainDeps,
  me: User,
  req: Record<string, unknown>,
  admin: boolean,
): Promise<Room[] | "global"> {
  const tokens = req.rooms;
  const global = req.global === true;
  if (tokens !== undefined && tokens !== null && !Array.isArray(tokens))
    throw badRequest("rooms must be a list");
  const list = (tokens as unknown[] | undefined) ?? [];
  if (list.length > 0 && global) throw badRequest("cannot specify both 'rooms' and 'global'");
  if (list.length === 0 && !global) throw badRequest("neither 'rooms' nor 'global' specified");
  if (global) {
    if (!me.globalModerator || (admin && !me.globalAdmin)) throw forbidden();
    return "global";
  }
  if (list.length > 1 && list.includes("*")) throw badRequest("room '*' must be the only rooms value");
  const nowS = deps.now() / 1000;
  const candidates =
    list[0] === "*"
      ? await allRooms(deps.db)
      : await Promise.all(
          list.map(async (t) => (typeof t === "string" ? roomByToken(deps.db, t) : undefined)),
        );
  const rooms: Room[] = [];
  for (const r of candidates) {
    if (!r) throw notFound("No such room");
    const rights = await rightsOf(deps.db, r, me, nowS);
    if (admin ? rights.admin : rights.moderator) rooms.push(r);
    else if (list[0] !== "*") throw forbidden();
  }
  if (rooms.length === 0) throw forbidden();
  return rooms;
}

const optBool = (v: unknown) => (v === undefined || v === null ? undefined : Boolean(v));

export function registerUserRoutes(app: Hono<Env>, deps: DomainDeps) {
  app.post("/user/:sid/moderator", async (c) => {
    const me = requireUser(c);
    const req = jsonBody(c);
    const target = await userForTarget(deps, c.req.param("sid"));
    const where = await roomsOrGlobal(deps, me, req, true);
    let [mod, admin] = [optBool(req.moderator), optBool(req.admin)];
    const visibleIn = optBool(req.visible);
    if (mod === undefined && admin === undefined)
      throw badRequest("at least one of admin/moderator must be specified");
    if (admin === true && mod === false) throw badRequest("admin=True, moderator=False is impossible");
    if (admin === true) mod = undefined;
    if (admin === false && mod === false) admin = undefined;
    const infoUpdates: Record<string, number> = {};
    if (where === "global") {
      if (mod === false)
        await setGlobalModerator(deps, target, {
          moderator: false,
          admin: undefined,
          visible: false,
          by: me,
        });
      else if (admin === false && mod === undefined)
        await setGlobalModerator(deps, target, {
          moderator: true,
          admin: false,
          visible: visibleIn ?? false,
          by: me,
        });
      else
        await setGlobalModerator(deps, target, {
          moderator: true,
          admin,
          visible: visibleIn ?? false,
          by: me,
        });
      for (const r of await allRooms(deps.db)) infoUpdates[r.token] = r.infoUpdates;
    } else {
      for (const room of where) {
        if (mod === false) await removeRoomModerator(deps, room, target, { adminOnly: false, by: me });
        else if (admin === false && mod === undefined)
          await removeRoomModerator(deps, room, target, { adminOnly: true, by: me });
        else await setRoomModerator(deps, room, target, { admin, visible: visibleIn ?? true, by: me });
        infoUpdates[room.token] = (await roomByToken(deps.db, room.token))!.infoUpdates;
      }
    }
    return c.json({ info_updates: infoUpdates });
  });

  app.post("/user/:sid/ban", async (c) => {
    const me = requireUser(c);
    const req = jsonBody(c);
    const target = await userForTarget(deps, c.req.param("sid"));
    const where = await roomsOrGlobal(deps, me, req, false);
    const timeout = req.timeout;
    if (timeout !== undefined && timeout !== null && typeof timeout !== "number") {
      throw badRequest("Invalid ban request: timeout must be numeric");
    }
    const timeoutS = typeof timeout === "number" ? timeout : undefined;
    if (where === "global") await banGlobally(deps, target, { timeoutS, by: me });
    else for (const room of where) await banFromRoom(deps, room, target, { timeoutS, by: me });
    return c.json({});
  });

  app.post("/user/:sid/unban", async (c) => {
    const me = requireUser(c);
    const req = jsonBody(c);
    const target = await userForTarget(deps, c.req.param("sid"));
    const where = await roomsOrGlobal(deps, me, req, false);
    if (where === "global") await unbanGlobally(deps, target, me);
    else for (const room of where) await unbanFromRoom(deps, room, target, me);
    return c.json({});
  });

  app.get("/room/:token/permissions", async (c) => {
    const room = await roomParam(deps, c);
    await requireMod(deps.db, room, userOf(c), deps.now() / 1000);
    return c.json(await permissionTable(deps, room));
  });
  app.get("/room/:token/permissions/:sid", async (c) => {
    const room = await roomParam(deps, c);
    await requireMod(deps.db, room, userOf(c), deps.now() / 1000);
    return c.json(await userPermissions(deps, room, await userForTarget(deps, c.req.param("sid"))));
  });
  app.post("/room/:token/permissions/:sid", async (c) => {
    const room = await roomParam(deps, c);
    const me = requireUser(c);
    await requireMod(deps.db, room, me, deps.now() / 1000);
    const target = await userForTarget(deps, c.req.param("sid"));
    const req = jsonBody(c);
    const perms: Partial<Record<PermissionKey, boolean | null>> = {};
    for (const p of ["accessible", "read", "write", "upload"] as const) {
      const v = req[p];
      const dflt = Boolean(req[`default_${p}`]);
      if (v !== undefined && v !== null) {
        if (dflt) throw badRequest(`cannot use \`${p}\` with \`default_${p}\``);
        perms[p] = Boolean(v);
      } else if (dflt) perms[p] = null;
    }
    await setPermissions(deps, room, target, perms, me);
    return c.json(await userPermissions(deps, room, target));
  });
}
