// A community's rooms: rows read into Room, lookup by token or id, create and delete, and the
// info_updates counter clients poll. Rights, room info and updates live in the room-*.ts beside it.
import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import { badRequest, notFound, SogsError } from "../errors.ts";
import type { DomainDeps } from "./context.ts";

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
