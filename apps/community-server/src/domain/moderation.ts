import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import { badRequest, forbidden } from "../errors.ts";
import type { DomainDeps } from "./context.ts";
import { rightsOf } from "./room-rights.ts";
import { bumpInfoUpdates, type Room } from "./rooms.ts";
import type { User } from "./users.ts";

async function ensurePermRow(db: Db, room: Room, user: User) {
  await db.exec(sql`INSERT INTO room_permissions (room_id, user_id) VALUES (${room.id}, ${user.id})
    ON CONFLICT (room_id, user_id) DO NOTHING`);
}

/**
 * Makes `user` a room moderator or admin (SOGS Room.set_moderator); `admin` undefined keeps the
 * current admin flag. `by` must be a room admin (undefined: the operator's CLI).
 */
export async function setRoomModerator(
  deps: DomainDeps,
  room: Room,
  user: User,
  opts: { admin: boolean | undefined; visible: boolean; by?: User },
): Promise<void> {
  if (opts.by && !(await rightsOf(deps.db, room, opts.by, deps.now() / 1000)).admin) {
    throw forbidden("This endpoint requires admin room permissions");
  }
  await deps.db.tx(async (db) => {
    await ensurePermRow(db, room, user);
    await db.exec(sql`UPDATE room_permissions SET moderator = 1, banned = 0, visible_mod = ${opts.visible ? 1 : 0}
      ${opts.admin === undefined ? sql`` : sql`, admin = ${opts.admin ? 1 : 0}`}
      WHERE room_id = ${room.id} AND user_id = ${user.id}`);
    await bumpInfoUpdates(db, room.id);
  });
}

export async function removeRoomModerator(
  deps: DomainDeps,
  room: Room,
  user: User,
  opts: { adminOnly: boolean; by?: User },
): Promise<void> {
  if (opts.by && !(await rightsOf(deps.db, room, opts.by, deps.now() / 1000)).admin) {
    throw forbidden("This endpoint requires admin room permissions");
  }
  await deps.db.tx(async (db) => {
    const n = opts.adminOnly
      ? await db.exec(
          sql`UPDATE room_permissions SET admin = 0 WHERE room_id = ${room.id} AND user_id = ${user.id}`,
        )
      : await db.exec(sql`UPDATE room_permissions SET admin = 0, moderator = 0, visible_mod = 1
          WHERE room_id = ${room.id} AND user_id = ${user.id}`);
    if (n > 0) await bumpInfoUpdates(db, room.id);
  });
}

/** Global moderator/admin grants (SOGS User.set_moderator / remove_moderator). */
export async function setGlobalModerator(
  deps: DomainDeps,
  user: User,
  opts: { moderator: boolean; admin: boolean | undefined; visible: boolean; by?: User },
): Promise<void> {
  if (opts.by && !(opts.by.globalAdmin || (opts.by.globalModerator && opts.admin !== true))) {
    throw forbidden("global moderator changes need a global admin");
  }
  await deps.db.tx(async (db) => {
    if (opts.moderator) {
      await db.exec(sql`UPDATE users SET moderator = 1, visible_mod = ${opts.visible ? 1 : 0}, banned = 0
        ${opts.admin === undefined ? sql`` : sql`, admin = ${opts.admin ? 1 : 0}`} WHERE id = ${user.id}`);
    } else {
      await db.exec(sql`UPDATE users SET moderator = 0, admin = 0 WHERE id = ${user.id}`);
    }
    await db.exec(sql`UPDATE rooms SET info_updates = info_updates + 1`);
  });
}

/**
 * Bans from a room (SOGS Room.ban_user): a moderator may ban a regular user; only an admin may ban
 * a room moderator; global moderators cannot be banned from a room. `timeoutS` ends the ban.
 */
export async function banFromRoom(
  deps: DomainDeps,
  room: Room,
  target: User,
  opts: { timeoutS?: number | undefined; by?: User },
): Promise<void> {
  const nowS = deps.now() / 1000;
  if (opts.by) {
    const mod = await rightsOf(deps.db, room, opts.by, nowS);
    const tr = await rightsOf(deps.db, room, target, nowS);
    if (!mod.moderator) throw forbidden("user is not a moderator");
    if (target.id === opts.by.id) throw forbidden("self-ban not permitted");
    if (target.globalModerator) throw forbidden("global mods/admins cannot be banned");
    if (tr.moderator && !mod.admin) throw forbidden("only admins can ban room mods/admins");
  }
  const expires = opts.timeoutS ? nowS + opts.timeoutS : null;
  await deps.db.tx(async (db) => {
    await ensurePermRow(db, room, target);
    const wasMod = await db.exec(sql`UPDATE room_permissions SET moderator = 0, admin = 0
      WHERE room_id = ${room.id} AND user_id = ${target.id} AND (moderator = 1 OR admin = 1)`);
    await db.exec(sql`UPDATE room_permissions SET banned = 1, ban_expires = ${expires}
      WHERE room_id = ${room.id} AND user_id = ${target.id}`);
    if (wasMod > 0) await bumpInfoUpdates(db, room.id);
  });
}

export async function unbanFromRoom(deps: DomainDeps, room: Room, target: User, by?: User): Promise<boolean> {
  if (by && !(await rightsOf(deps.db, room, by, deps.now() / 1000)).moderator) {
    throw forbidden("user is not a moderator");
  }
  return (
    (await deps.db.exec(sql`UPDATE room_permissions SET banned = 0, ban_expires = NULL
      WHERE room_id = ${room.id} AND user_id = ${target.id} AND banned = 1`)) > 0
  );
}

export async function banGlobally(
  deps: DomainDeps,
  target: User,
  opts: { timeoutS?: number | undefined; by?: User },
): Promise<void> {
  if (opts.by) {
    if (!opts.by.globalModerator) throw forbidden("global bans need a global moderator");
    if (target.id === opts.by.id) throw forbidden("self-ban not permitted");
    if (target.globalModerator && !opts.by.globalAdmin) throw forbidden("only admins can ban moderators");
  }
  const expires = opts.timeoutS ? deps.now() / 1000 + opts.timeoutS : null;
  await deps.db.exec(sql`UPDATE users SET banned = 1, ban_expires = ${expires}, moderator = 0, admin = 0
    WHERE id = ${target.id}`);
}

export async function unbanGlobally(deps: DomainDeps, target: User, by?: User): Promise<void> {
  if (by && !by.globalModerator) throw forbidden("global unbans need a global moderator");
  await deps.db.exec(sql`UPDATE users SET banned = 0, ban_expires = NULL WHERE id = ${target.id}`);
}

export type PermissionKey = "read" | "accessible" | "write" | "upload";

/**
 * Per-user overrides of a room's defaults (SOGS Room.set_permissions): true/false set the
 * permission, null returns it to the room's default.
 */
export async function setPermissions(
  deps: DomainDeps,
  room: Room,
  target: User,
  perms: Partial<Record<PermissionKey, boolean | null>>,
  by?: User,
): Promise<void> {
  if (by) {
    const r = await rightsOf(deps.db, room, by, deps.now() / 1000);
    if (!r.moderator) throw forbidden("This endpoint requires moderator room permissions");
  }
  const keys = Object.keys(perms) as PermissionKey[];
  if (keys.length === 0) throw badRequest("no permission given");
  await deps.db.tx(async (db) => {
    await ensurePermRow(db, room, target);
    for (const k of keys) {
      const v = perms[k];
      await db.exec(sql`UPDATE room_permissions SET ${sql.raw(k)} = ${v === null || v === undefined ? null : v ? 1 : 0}
        WHERE room_id = ${room.id} AND user_id = ${target.id}`);
    }
  });
}

/** The explicit per-user rows of a room, by Session ID (SOGS `GET /room/:token/permissions`). */
export async function permissionTable(
  deps: DomainDeps,
  room: Room,
): Promise<Record<string, Record<string, unknown>>> {
  const nowS = deps.now() / 1000;
  const rows = await deps.db.all<Record<string, unknown> & { session_id: string }>(sql`
    SELECT u.session_id, p.* FROM room_permissions p JOIN users u ON u.id = p.user_id WHERE p.room_id = ${room.id}
      ORDER BY u.session_id`);
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of rows) out[r.session_id] = permissionEntry(r, nowS);
  return out;
}

export function permissionEntry(r: Record<string, unknown>, nowS: number): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const k of ["read", "accessible", "write", "upload"]) {
    if (r[k] !== null && r[k] !== undefined) e[k] = Number(r[k]) === 1;
  }
  if (Number(r.admin) === 1) e.admin = true;
  else if (Number(r.moderator) === 1) e.moderator = true;
  if ((Number(r.admin) === 1 || Number(r.moderator) === 1) && Number(r.visible_mod) !== 1) e.hidden = true;
  if (Number(r.banned) === 1 && (r.ban_expires == null || Number(r.ban_expires) > nowS)) e.banned = true;
  return e;
}

export async function userPermissions(
  deps: DomainDeps,
  room: Room,
  target: User,
): Promise<Record<string, unknown>> {
  const row = await deps.db.one<Record<string, unknown>>(
    sql`SELECT * FROM room_permissions WHERE room_id = ${room.id} AND user_id = ${target.id}`,
  );
  return row ? permissionEntry(row, deps.now() / 1000) : {};
}
