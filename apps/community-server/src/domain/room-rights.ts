// What a user (or an anonymous reader) may do in a room: the room's defaults, their own
// permission row and global grants combined as SOGS does, and the guards routes call.
import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import { forbidden, notFound, SogsError } from "../errors.ts";
import type { Room } from "./rooms.ts";
import type { User } from "./users.ts";

/** Effective rights of a user (or of an anonymous reader) in a room. */
export interface RoomRights {
  banned: boolean;
  read: boolean;
  accessible: boolean;
  write: boolean;
  upload: boolean;
  moderator: boolean;
  admin: boolean;
  /** Moderator/admin shown in the room's public lists. */
  visible: boolean;
  /** Moderator through a global grant rather than a room one. */
  global: boolean;
}

interface PermRow {
  banned: number;
  ban_expires: number | null;
  read: number | null;
  accessible: number | null;
  write: number | null;
  upload: number | null;
  moderator: number;
  admin: number;
  visible_mod: number;
}

export async function rightsOf(db: Db, room: Room, user: User | null, nowS: number): Promise<RoomRights> {
  const d = room.defaults;
  if (!user) {
    return { banned: false, ...d, moderator: false, admin: false, visible: false, global: false };
  }
  const row = await db.one<PermRow>(
    sql`SELECT * FROM room_permissions WHERE room_id = ${room.id} AND user_id = ${user.id}`,
  );
  const pick = (v: number | null | undefined, dflt: boolean) =>
    v === null || v === undefined ? dflt : Number(v) === 1;
  const roomAdmin = Number(row?.admin ?? 0) === 1;
  const roomMod = roomAdmin || Number(row?.moderator ?? 0) === 1;
  const admin = roomAdmin || user.globalAdmin;
  const moderator = roomMod || user.globalModerator;
  const banned =
    !moderator &&
    (user.banned ||
      (Number(row?.banned ?? 0) === 1 && (row?.ban_expires == null || Number(row.ban_expires) > nowS)));
  if (moderator) {
    return {
      banned: false,
      read: true,
      accessible: true,
      write: true,
      upload: true,
      moderator,
      admin,
      visible: roomMod ? Number(row?.visible_mod ?? 1) === 1 : user.visibleMod,
      global: !roomMod,
    };
  }
  const read = !banned && pick(row?.read, d.read);
  return {
    banned,
    read,
    accessible: !banned && (read || pick(row?.accessible, d.accessible)),
    write: !banned && pick(row?.write, d.write),
    upload: !banned && pick(row?.write, d.write) && pick(row?.upload, d.upload),
    moderator: false,
    admin: false,
    visible: false,
    global: false,
  };
}

/** 404 for a room the caller may not even know of (SOGS's accessible check). */
export async function requireAccessible(
  db: Db,
  room: Room,
  user: User | null,
  nowS: number,
): Promise<RoomRights> {
  const r = await rightsOf(db, room, user, nowS);
  if (!r.accessible) throw notFound("No such room");
  return r;
}

export async function requireRead(db: Db, room: Room, user: User | null, nowS: number): Promise<RoomRights> {
  const r = await rightsOf(db, room, user, nowS);
  if (!r.read) throw forbidden("This endpoint requires room message 'read' permission");
  return r;
}

export async function requireMod(
  db: Db,
  room: Room,
  user: User | null,
  nowS: number,
  admin = false,
): Promise<RoomRights> {
  if (!user) throw new SogsError(401, "X-SOGS-* request authentication required");
  const r = await rightsOf(db, room, user, nowS);
  if (!(admin ? r.admin : r.moderator)) {
    throw forbidden(`This endpoint requires ${admin ? "admin" : "moderator"} room permissions`);
  }
  return r;
}
