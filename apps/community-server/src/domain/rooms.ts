import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import { badRequest, forbidden, notFound, SogsError } from "../errors.ts";
import type { DomainDeps } from "./context.ts";
import type { User } from "./users.ts";

export interface Room {
  id: number;
  token: string;
  name: string;
  description: string | null;
  imageId: number | null;
  created: number;
  messageSequence: number;
  infoUpdates: number;
  defaults: { read: boolean; accessible: boolean; write: boolean; upload: boolean };
}

interface RoomRow {
  id: number;
  token: string;
  name: string;
  description: string | null;
  image_id: number | null;
  created: number;
  message_sequence: number;
  info_updates: number;
  default_read: number;
  default_accessible: number;
  default_write: number;
  default_upload: number;
}

function toRoom(r: RoomRow): Room {
  return {
    id: Number(r.id),
    token: r.token,
    name: r.name,
    description: r.description,
    imageId: r.image_id === null ? null : Number(r.image_id),
    created: Number(r.created),
    messageSequence: Number(r.message_sequence),
    infoUpdates: Number(r.info_updates),
    defaults: {
      read: Number(r.default_read) === 1,
      accessible: Number(r.default_accessible) === 1,
      write: Number(r.default_write) === 1,
      upload: Number(r.default_upload) === 1,
    },
  };
}

export const ROOM_TOKEN_RE = /^[\w-]{1,64}$/;

export async function roomByToken(db: Db, token: string): Promise<Room | undefined> {
  if (!ROOM_TOKEN_RE.test(token)) return undefined;
  const row = await db.one<RoomRow>(sql`SELECT * FROM rooms WHERE token = ${token}`);
  return row ? toRoom(row) : undefined;
}

export async function roomById(db: Db, id: number): Promise<Room> {
  const row = await db.one<RoomRow>(sql`SELECT * FROM rooms WHERE id = ${id}`);
  if (!row) throw notFound("No such room");
  return toRoom(row);
}

export async function allRooms(db: Db): Promise<Room[]> {
  return (await db.all<RoomRow>(sql`SELECT * FROM rooms ORDER BY id`)).map(toRoom);
}

export async function createRoom(
  deps: DomainDeps,
  input: { token: string; name: string; description?: string | null },
): Promise<Room> {
  if (!ROOM_TOKEN_RE.test(input.token)) {
    throw badRequest("room token must be 1-64 characters of a-z, A-Z, 0-9, _ and -");
  }
  if (await roomByToken(deps.db, input.token)) throw new SogsError(400, `room ${input.token} already exists`);
  await deps.db.exec(
    sql`INSERT INTO rooms (token, name, description, created) VALUES (${input.token}, ${input.name}, ${input.description ?? null}, ${deps.now() / 1000})`,
  );
  return (await roomByToken(deps.db, input.token))!;
}

export async function deleteRoom(db: Db, token: string): Promise<boolean> {
  const room = await roomByToken(db, token);
  if (!room) return false;
  await db.tx(async (tx) => {
    for (const table of ["room_permissions", "pinned_messages", "room_users", "files"]) {
      await tx.exec(sql`DELETE FROM ${sql.raw(table)} WHERE room_id = ${room.id}`);
    }
    await tx.exec(
      sql`DELETE FROM user_reactions WHERE reaction_id IN (SELECT r.id FROM reactions r JOIN messages m ON m.id = r.message_id WHERE m.room_id = ${room.id})`,
    );
    await tx.exec(
      sql`DELETE FROM reactions WHERE message_id IN (SELECT id FROM messages WHERE room_id = ${room.id})`,
    );
    await tx.exec(sql`DELETE FROM messages WHERE room_id = ${room.id}`);
    await tx.exec(sql`DELETE FROM rooms WHERE id = ${room.id}`);
  });
  return true;
}

export async function bumpInfoUpdates(db: Db, roomId: number): Promise<number> {
  const row = await db.one<{ info_updates: number }>(
    sql`UPDATE rooms SET info_updates = info_updates + 1 WHERE id = ${roomId} RETURNING info_updates`,
  );
  return Number(row?.info_updates ?? 0);
}

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

export interface ModLists {
  moderators: string[];
  admins: string[];
  hiddenModerators: string[];
  hiddenAdmins: string[];
}

/** Room and global moderators/admins; hidden ones only when `showHidden` (the caller is a mod). */
export async function modLists(db: Db, room: Room, showHidden: boolean): Promise<ModLists> {
  const rows = await db.all<{ session_id: string; admin: number; visible: number }>(sql`
    SELECT u.session_id, p.admin, p.visible_mod AS visible FROM room_permissions p JOIN users u ON u.id = p.user_id
      WHERE p.room_id = ${room.id} AND (p.moderator = 1 OR p.admin = 1)
    UNION ALL
    SELECT session_id, admin, visible_mod AS visible FROM users WHERE moderator = 1 OR admin = 1`);
  const out: ModLists = { moderators: [], admins: [], hiddenModerators: [], hiddenAdmins: [] };
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.session_id)) continue;
    seen.add(r.session_id);
    const admin = Number(r.admin) === 1;
    const visible = Number(r.visible) === 1;
    if (!visible && !showHidden) continue;
    (visible ? (admin ? out.admins : out.moderators) : admin ? out.hiddenAdmins : out.hiddenModerators).push(
      r.session_id,
    );
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

export async function activeUsers(db: Db, room: Room, sinceS: number): Promise<number> {
  const row = await db.one<{ n: number }>(
    sql`SELECT CAST(COUNT(*) AS INTEGER) AS n FROM room_users WHERE room_id = ${room.id} AND last_active >= ${sinceS}`,
  );
  return Number(row?.n ?? 0);
}

export async function pinnedMessages(db: Db, room: Room) {
  const rows = await db.all<{ message_id: number; pinned_at: number; session_id: string }>(sql`
    SELECT p.message_id, p.pinned_at, u.session_id FROM pinned_messages p JOIN users u ON u.id = p.pinned_by
      WHERE p.room_id = ${room.id} ORDER BY p.pinned_at, p.message_id`);
  return rows.map((r) => ({
    id: Number(r.message_id),
    pinned_at: Number(r.pinned_at),
    pinned_by: r.session_id,
  }));
}

/** The SOGS room object (`GET /room/:token`) as `user` may see it. */
export async function roomInfo(
  deps: DomainDeps,
  room: Room,
  user: User | null,
): Promise<Record<string, unknown>> {
  const nowS = deps.now() / 1000;
  const rights = await rightsOf(deps.db, room, user, nowS);
  const mods = await modLists(deps.db, room, rights.moderator);
  const out: Record<string, unknown> = {
    token: room.token,
    name: room.name,
    info_updates: room.infoUpdates,
    message_sequence: room.messageSequence,
    created: room.created,
    active_users: await activeUsers(deps.db, room, nowS - deps.limits.activeThresholdSeconds),
    active_users_cutoff: deps.limits.activeThresholdSeconds,
    moderators: mods.moderators,
    admins: mods.admins,
    read: rights.read,
    write: rights.write,
    upload: rights.upload,
  };
  if (room.description !== null) out.description = room.description;
  if (room.imageId !== null) out.image_id = room.imageId;
  const pinned = await pinnedMessages(deps.db, room);
  if (pinned.length > 0) out.pinned_messages = pinned;
  if (mods.hiddenModerators.length > 0) out.hidden_moderators = mods.hiddenModerators;
  if (mods.hiddenAdmins.length > 0) out.hidden_admins = mods.hiddenAdmins;
  Object.assign(out, modFlags(room, rights, user));
  return out;
}

/** The moderator/admin fields SOGS adds to room info and pollInfo. */
export function modFlags(room: Room, rights: RoomRights, user: User | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rights.moderator) {
    out.moderator = true;
    out.default_read = room.defaults.read;
    out.default_accessible = room.defaults.accessible;
    out.default_write = room.defaults.write;
    out.default_upload = room.defaults.upload;
  }
  if (rights.admin) out.admin = true;
  if (user?.globalModerator) out.global_moderator = true;
  if (user?.globalAdmin) out.global_admin = true;
  return out;
}

const stripControl = (s: string, keepNewlines: boolean) =>
  s.replace(keepNewlines ? /[\u0000-\u0008\u000b-\u001f]/g : /[\u0000-\u001f]/g, "");

export interface RoomUpdate {
  name?: unknown;
  description?: unknown;
  image?: unknown;
  default_read?: unknown;
  default_accessible?: unknown;
  default_write?: unknown;
  default_upload?: unknown;
}

/** Applies a room update (SOGS `PUT /room/:token`); returns the new info_updates. */
export async function updateRoom(deps: DomainDeps, room: Room, req: RoomUpdate): Promise<number> {
  const nowS = deps.now() / 1000;
  return deps.db.tx(async (db) => {
    let did = false;
    let infoChanged = false;
    if ("name" in req) {
      if (typeof req.name !== "string") throw badRequest("name must be a string");
      await db.exec(sql`UPDATE rooms SET name = ${stripControl(req.name, false)} WHERE id = ${room.id}`);
      did = infoChanged = true;
    }
    if ("description" in req) {
      const d = req.description;
      if (!(d === null || typeof d === "string")) throw badRequest("description must be a string or null");
      const clean = d === null ? null : stripControl(d, true) || null;
      await db.exec(sql`UPDATE rooms SET description = ${clean} WHERE id = ${room.id}`);
      did = infoChanged = true;
    }
    if ("image" in req) {
      if (typeof req.image !== "number" || !Number.isInteger(req.image))
        throw badRequest("image must be an integer");
      const file = await db.one<{ id: number }>(
        sql`SELECT id FROM files WHERE id = ${req.image} AND room_id = ${room.id} AND (expiry IS NULL OR expiry > ${nowS})`,
      );
      if (!file) throw new SogsError(406, "No such file");
      // The old image expires now; the new one is kept for as long as it is the image.
      if (room.imageId !== null && room.imageId !== req.image) {
        await db.exec(sql`UPDATE files SET expiry = 0 WHERE id = ${room.imageId}`);
      }
      await db.exec(sql`UPDATE files SET expiry = NULL WHERE id = ${req.image}`);
      await db.exec(sql`UPDATE rooms SET image_id = ${req.image} WHERE id = ${room.id}`);
      did = infoChanged = true;
    }
    for (const key of ["read", "accessible", "write", "upload"] as const) {
      const v = req[`default_${key}`];
      if (v === undefined || v === null) continue;
      if (typeof v !== "boolean" && typeof v !== "number")
        throw badRequest(`default_${key} must be a boolean`);
      await db.exec(sql`UPDATE rooms SET ${sql.raw(`default_${key}`)} = ${v ? 1 : 0} WHERE id = ${room.id}`);
      did = true;
    }
    if (!did) throw badRequest("Room update: must include at least one field to update");
    if (infoChanged) return bumpInfoUpdates(db, room.id);
    return (await roomById(db, room.id)).infoUpdates;
  });
}
