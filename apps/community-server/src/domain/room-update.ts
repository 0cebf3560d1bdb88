// Room updates by its admins (SOGS `PUT /room/:token`): name, description, image and default
// permissions, checked field by field.
import { sql } from "drizzle-orm";
import { badRequest, SogsError } from "../errors.ts";
import type { DomainDeps } from "./context.ts";
import { bumpInfoUpdates, type Room, roomById } from "./rooms.ts";

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
