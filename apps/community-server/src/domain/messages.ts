import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import { badRequest, forbidden, notFound, SogsError } from "../errors.ts";
import type { DomainDeps } from "./context.ts";
import { claimFiles } from "./files.ts";
import { reactionsFor } from "./reactions.ts";
import { rightsOf } from "./room-rights.ts";
import { bumpInfoUpdates, type Room } from "./rooms.ts";
import { type User, userForTarget } from "./users.ts";

/** A message as the API returns it (bytes still raw; routes base64 them). */
export type MessageView = Record<string, unknown>;

interface MessageRow {
  id: number;
  session_id: string;
  posted: number;
  edited: number | null;
  seqno: number;
  seqno_data: number;
  seqno_reactions: number;
  seqno_creation: number;
  data: Uint8Array | null;
  signature: Uint8Array | null;
  whisper_to_id: string | null;
  whisper_to: number | null;
  whisper_mods: number;
}

/** Next room sequence number; every message change takes one (SOGS message_sequence). */
export async function nextSeqno(db: Db, roomId: number): Promise<number> {
  const row = await db.one<{ message_sequence: number }>(
    sql`UPDATE rooms SET message_sequence = message_sequence + 1 WHERE id = ${roomId} RETURNING message_sequence`,
  );
  return Number(row!.message_sequence);
}

export type MessageQuery =
  | { kind: "since"; seqno: number; reactionUpdates: boolean }
  | { kind: "before"; id: number }
  | { kind: "recent" }
  | { kind: "single"; id: number };

/**
 * Messages `user` may see (SOGS Room.get_messages_for): posts, and for `since` polling also edits,
 * deletions (only of messages created before the given seqno) and reaction-only updates.
 */
export async function messagesFor(
  deps: DomainDeps,
  room: Room,
  user: User | null,
  q: MessageQuery,
  opts: { limit: number; reactors: number },
): Promise<MessageView[]> {
  const nowS = deps.now() / 1000;
  const mod = (await rightsOf(deps.db, room, user, nowS)).moderator;
  const uid = user?.id ?? -1;
  const whisper = mod
    ? sql`AND (m.whisper_mods = 1 OR m.whisper_to = ${uid} OR m.user_id = ${uid} OR m.whisper_to IS NULL)`
    : user
      ? sql`AND (m.whisper_to = ${uid} OR (m.whisper_to IS NULL AND m.whisper_mods = 0))`
      : sql`AND m.whisper_to IS NULL AND m.whisper_mods = 0`;
  let where: ReturnType<typeof sql>;
  let order: ReturnType<typeof sql>;
  switch (q.kind) {
    case "since":
      where = sql`AND (m.data IS NOT NULL OR m.seqno_creation <= ${q.seqno}) AND m.seqno > ${q.seqno} ${
        q.reactionUpdates ? sql`` : sql`AND m.seqno_data > ${q.seqno}`
      }`;
      order = sql`ORDER BY m.seqno ASC LIMIT ${opts.limit}`;
      break;
    case "before":
      where = sql`AND m.data IS NOT NULL AND m.id < ${q.id}`;
      order = sql`ORDER BY m.id DESC LIMIT ${opts.limit}`;
      break;
    case "recent":
      where = sql`AND m.data IS NOT NULL`;
      order = sql`ORDER BY m.id DESC LIMIT ${opts.limit}`;
      break;
    case "single":
      where = sql`AND m.data IS NOT NULL AND m.id = ${q.id}`;
      order = sql``;
      break;
  }
  const rows = await deps.db.all<MessageRow>(sql`
    SELECT m.*, u.session_id, w.session_id AS whisper_to_id
      FROM messages m JOIN users u ON u.id = m.user_id LEFT JOIN users w ON w.id = m.whisper_to
      WHERE m.room_id = ${room.id} ${where} ${whisper} ${order}`);
  const out: MessageView[] = [];
  const since = q.kind === "since" ? q.seqno : undefined;
  for (const r of rows) {
    const id = Number(r.id);
    if (since !== undefined && Number(r.seqno_reactions) > since && since >= Number(r.seqno_data)) {
      out.push({ id, seqno: Number(r.seqno) }); // a reaction-only update
      continue;
    }
    const msg: MessageView = {
      id,
      session_id: r.session_id,
      posted: Number(r.posted),
      seqno: Number(r.seqno),
    };
    if (r.data === null) {
      msg.data = null;
      msg.deleted = true;
    } else {
      msg.data = r.data;
      msg.signature = r.signature;
    }
    if (r.edited !== null) msg.edited = Number(r.edited);
    if (r.whisper_to !== null || Number(r.whisper_mods) === 1) {
      msg.whisper = true;
      msg.whisper_mods = Number(r.whisper_mods) === 1;
      if (r.whisper_to_id !== null) msg.whisper_to = r.whisper_to_id;
    }
    out.push(msg);
  }
  const withReactions = out.filter((m) => m.data !== null);
  const reacts = await reactionsFor(
    deps.db,
    withReactions.map((m) => m.id as number),
    user,
    opts.reactors,
  );
  for (const m of withReactions) m.reactions = reacts.get(m.id as number) ?? {};
  return out;
}

export interface PostInput {
  data: Uint8Array;
  signature: Uint8Array;
  whisperTo?: string | undefined;
  whisperMods?: boolean | undefined;
  files?: number[] | undefined;
}

/** Throws unless `user` may post in the room now and `signature` is 64 bytes; the rights, and now in seconds. */
async function checkPost(deps: DomainDeps, room: Room, user: User, signature: Uint8Array) {
  const nowS = deps.now() / 1000;
  const rights = await rightsOf(deps.db, room, user, nowS);
  if (!rights.write) throw forbidden("This room does not allow you to post");
  if (signature.length !== 64) throw badRequest("signature must be 64 bytes");
  return { rights, nowS };
}

export async function postMessage(
  deps: DomainDeps,
  room: Room,
  user: User,
  input: PostInput,
): Promise<MessageView> {
  const { rights, nowS } = await checkPost(deps, room, user, input.signature);
  const whisperMods = input.whisperMods === true;
  if ((input.whisperTo || whisperMods) && !rights.moderator)
    throw forbidden("Only moderators can send whispers");
  const whisperUser = input.whisperTo ? await userForTarget(deps, input.whisperTo) : undefined;
  return deps.db.tx(async (db) => {
    const seqno = await nextSeqno(db, room.id);
    const row = await db.one<{ id: number }>(sql`
      INSERT INTO messages (room_id, user_id, posted, seqno, seqno_data, seqno_creation, data, data_size, signature, whisper_to, whisper_mods)
      VALUES (${room.id}, ${user.id}, ${nowS}, ${seqno}, ${seqno}, ${seqno}, ${Buffer.from(input.data)}, ${input.data.length},
        ${Buffer.from(input.signature)}, ${whisperUser?.id ?? null}, ${whisperMods ? 1 : 0})
      RETURNING id`);
    const id = Number(row!.id);
    if (input.files?.length) await claimFiles(deps, db, room, user, id, input.files);
    const msg: MessageView = {
      id,
      session_id: user.sessionId,
      posted: nowS,
      seqno,
      data: input.data,
      signature: input.signature,
      reactions: {},
    };
    if (whisperUser || whisperMods) {
      msg.whisper = true;
      msg.whisper_mods = whisperMods;
      if (whisperUser) msg.whisper_to = whisperUser.sessionId;
    }
    return msg;
  });
}

export async function editMessage(
  deps: DomainDeps,
  room: Room,
  user: User,
  id: number,
  input: { data: Uint8Array; signature: Uint8Array; files?: number[] | undefined },
): Promise<void> {
  const { nowS } = await checkPost(deps, room, user, input.signature);
  await deps.db.tx(async (db) => {
    const row = await db.one<{ user_id: number }>(
      sql`SELECT user_id FROM messages WHERE id = ${id} AND room_id = ${room.id} AND data IS NOT NULL`,
    );
    if (!row) throw notFound("No such message");
    if (Number(row.user_id) !== user.id) throw forbidden("You can only edit your own messages");
    const seqno = await nextSeqno(db, room.id);
    await db.exec(sql`UPDATE messages SET data = ${Buffer.from(input.data)}, data_size = ${input.data.length},
      signature = ${Buffer.from(input.signature)}, edited = ${nowS}, seqno_data = ${seqno}, seqno = ${seqno} WHERE id = ${id}`);
    if (input.files?.length) await claimFiles(deps, db, room, user, id, input.files);
  });
}

/** Marks messages deleted (data NULL, a new seqno), drops their reactions, pins and files. */
async function tombstone(db: Db, room: Room, ids: number[]): Promise<void> {
  let unpinned = 0;
  for (const id of ids) {
    const seqno = await nextSeqno(db, room.id);
    await db.exec(sql`UPDATE messages SET data = NULL, data_size = NULL, signature = NULL, seqno_data = ${seqno},
      seqno = ${seqno} WHERE id = ${id}`);
    await db.exec(
      sql`DELETE FROM user_reactions WHERE reaction_id IN (SELECT id FROM reactions WHERE message_id = ${id})`,
    );
    await db.exec(sql`DELETE FROM reactions WHERE message_id = ${id}`);
    unpinned += await db.exec(sql`DELETE FROM pinned_messages WHERE message_id = ${id}`);
    await db.exec(sql`UPDATE files SET expiry = 0 WHERE message_id = ${id}`);
  }
  if (unpinned > 0) await bumpInfoUpdates(db, room.id);
}

/** Deletes one message: its author (with write access) or a moderator. */
export async function deleteMessage(deps: DomainDeps, room: Room, user: User, id: number): Promise<void> {
  const rights = await rightsOf(deps.db, room, user, deps.now() / 1000);
  if (!rights.write) throw forbidden("This room does not allow you to delete");
  await deps.db.tx(async (db) => {
    const row = await db.one<{ user_id: number }>(
      sql`SELECT user_id FROM messages WHERE id = ${id} AND room_id = ${room.id} AND data IS NOT NULL`,
    );
    if (!row) throw notFound("No such message");
    if (Number(row.user_id) !== user.id && !rights.moderator)
      throw forbidden("You can only delete your own messages");
    await tombstone(db, room, [id]);
  });
}

/**
 * Deletes every message (and upload) of `poster` in the room: the poster themself, a moderator,
 * or for an admin's messages another admin. Returns how many messages went.
 */
export async function deleteAllFrom(
  deps: DomainDeps,
  room: Room,
  deleter: User,
  poster: User,
): Promise<number> {
  const nowS = deps.now() / 1000;
  const dr = await rightsOf(deps.db, room, deleter, nowS);
  const pr = await rightsOf(deps.db, room, poster, nowS);
  if (poster.id !== deleter.id && !dr.moderator) throw forbidden("user is not a moderator");
  if (pr.admin && !dr.admin) throw forbidden("only admins can delete all posts of another admin");
  return deps.db.tx(async (db) => {
    const ids = (
      await db.all<{ id: number }>(
        sql`SELECT id FROM messages WHERE room_id = ${room.id} AND user_id = ${poster.id} AND data IS NOT NULL`,
      )
    ).map((r) => Number(r.id));
    await tombstone(db, room, ids);
    await db.exec(sql`UPDATE files SET expiry = 0 WHERE room_id = ${room.id} AND uploader = ${poster.id}
      AND id != ${room.imageId ?? -1}`);
    return ids.length;
  });
}

/** A regular (live, not whispered) message of this room. */
export async function isRegularMessage(db: Db, room: Room, id: number): Promise<boolean> {
  const row = await db.one(sql`SELECT id FROM messages WHERE id = ${id} AND room_id = ${room.id}
    AND data IS NOT NULL AND whisper_to IS NULL AND whisper_mods = 0`);
  return row !== undefined;
}

export async function pin(deps: DomainDeps, room: Room, admin: User, id: number): Promise<number> {
  const nowS = deps.now() / 1000;
  return deps.db.tx(async (db) => {
    if (!(await isRegularMessage(db, room, id))) throw notFound("No such message");
    await db.exec(sql`INSERT INTO pinned_messages (room_id, message_id, pinned_by, pinned_at)
      VALUES (${room.id}, ${id}, ${admin.id}, ${nowS})
      ON CONFLICT (room_id, message_id) DO UPDATE SET pinned_by = ${admin.id}, pinned_at = ${nowS}`);
    return bumpInfoUpdates(db, room.id);
  });
}

/** Unpins one message (or all, with id undefined); returns [count, info_updates]. */
export async function unpin(deps: DomainDeps, room: Room, id: number | undefined): Promise<[number, number]> {
  return deps.db.tx(async (db) => {
    const count =
      id === undefined
        ? await db.exec(sql`DELETE FROM pinned_messages WHERE room_id = ${room.id}`)
        : await db.exec(sql`DELETE FROM pinned_messages WHERE room_id = ${room.id} AND message_id = ${id}`);
    const info =
      count > 0
        ? await bumpInfoUpdates(db, room.id)
        : Number(
            (await db.one<{ info_updates: number }>(
              sql`SELECT info_updates FROM rooms WHERE id = ${room.id}`,
            ))!.info_updates,
          );
    return [count, info];
  });
}

export class PostRateLimited extends SogsError {
  constructor() {
    super(429, "Rate limited: too many posts");
  }
}
