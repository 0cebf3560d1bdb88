// The room as SOGS shows it (`GET /room/:token`, pollInfo): moderator lists, active users,
// pinned messages and the moderator/admin flags of the caller.
import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import type { DomainDeps } from "./context.ts";
import { type RoomRights, rightsOf } from "./room-rights.ts";
import type { Room } from "./rooms.ts";
import type { User } from "./users.ts";

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
