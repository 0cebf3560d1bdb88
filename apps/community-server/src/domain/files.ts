import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import { badRequest, forbidden, SogsError } from "../errors.ts";
import type { DomainDeps } from "./context.ts";
import { rightsOf } from "./room-rights.ts";
import type { Room } from "./rooms.ts";
import type { User } from "./users.ts";

export interface RoomFile {
  id: number;
  size: number;
  uploaded: number;
  expiry: number | null;
  filename: string | null;
  data: Uint8Array;
}

/** Stores an upload for a room (write+upload rights); it expires unless a post claims it. */
export async function uploadFile(
  deps: DomainDeps,
  room: Room,
  user: User,
  data: Uint8Array,
  filename: string | undefined,
): Promise<number> {
  const nowS = deps.now() / 1000;
  if (!(await rightsOf(deps.db, room, user, nowS)).upload)
    throw forbidden("This room does not allow you to upload");
  if (data.length === 0) throw badRequest("No file data");
  if (data.length > deps.limits.maxFileBytes) throw new SogsError(413, "File too large");
  // Slashes and NULs cannot reach a path (files live in the database), but SOGS strips them too.
  const name = filename?.replaceAll("\0", "\uFFFD").replaceAll("/", "\uFFFD") ?? null;
  const row = await deps.db.one<{ id: number }>(sql`
    INSERT INTO files (room_id, uploader, size, uploaded, expiry, filename, data)
    VALUES (${room.id}, ${user.id}, ${data.length}, ${nowS}, ${nowS + deps.limits.uploadTtlSeconds}, ${name}, ${Buffer.from(data)})
    RETURNING id`);
  return Number(row!.id);
}

/** A live file of the room, or undefined. */
export async function getFile(deps: DomainDeps, room: Room, id: number): Promise<RoomFile | undefined> {
  const r = await deps.db.one<RoomFile & { expiry: number | null }>(sql`
    SELECT id, size, uploaded, expiry, filename, data FROM files
      WHERE id = ${id} AND room_id = ${room.id} AND (expiry IS NULL OR expiry > ${deps.now() / 1000})`);
  if (!r) return undefined;
  return {
    id: Number(r.id),
    size: Number(r.size),
    uploaded: Number(r.uploaded),
    expiry: r.expiry === null ? null : Number(r.expiry),
    filename: r.filename,
    data: new Uint8Array(r.data),
  };
}

/** Attaches the poster's own recent unclaimed uploads to a message and extends their life. */
export async function claimFiles(
  deps: DomainDeps,
  db: Db,
  room: Room,
  user: User,
  messageId: number,
  ids: number[],
): Promise<void> {
  const nowS = deps.now() / 1000;
  const ints = ids.filter((i) => Number.isSafeInteger(i));
  if (ints.length === 0) return;
  await db.exec(sql`UPDATE files SET message_id = ${messageId}, expiry = ${nowS + deps.limits.attachmentTtlSeconds}
    WHERE id IN (${sql.join(ints, sql`, `)}) AND room_id = ${room.id} AND uploader = ${user.id}
      AND message_id IS NULL AND expiry IS NOT NULL AND uploaded >= ${nowS - 3600}`);
}
