import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import { badRequest, notFound } from "../errors.ts";
import type { DomainDeps } from "./context.ts";
import { isRegularMessage, nextSeqno } from "./messages.ts";
import type { Room } from "./rooms.ts";
import type { User } from "./users.ts";

export interface ReactionInfo {
  count: number;
  index: number;
  you?: true;
  reactors?: string[];
}

/** Reaction summaries per message id, in first-use order (SOGS Room.get_reactions). */
export async function reactionsFor(
  db: Db,
  messageIds: number[],
  user: User | null,
  reactorLimit: number,
): Promise<Map<number, Record<string, ReactionInfo>>> {
  const out = new Map<number, Record<string, ReactionInfo>>();
  if (messageIds.length === 0) return out;
  const uid = user?.id ?? -1;
  const rows = await db.all<{ id: number; message_id: number; reaction: string; n: number; you: number }>(sql`
    SELECT r.id, r.message_id, r.reaction,
      (SELECT CAST(COUNT(*) AS INTEGER) FROM user_reactions ur WHERE ur.reaction_id = r.id) AS n,
      (SELECT CAST(COUNT(*) AS INTEGER) FROM user_reactions ur WHERE ur.reaction_id = r.id AND ur.user_id = ${uid}) AS you
    FROM reactions r WHERE r.message_id IN (${sql.join(messageIds, sql`, `)}) ORDER BY r.id`);
  const byReaction = new Map<number, ReactionInfo>();
  for (const r of rows) {
    if (Number(r.n) === 0) continue;
    const msg = out.get(Number(r.message_id)) ?? {};
    out.set(Number(r.message_id), msg);
    const info: ReactionInfo = { count: Number(r.n), index: Object.keys(msg).length };
    if (Number(r.you) > 0) info.you = true;
    msg[r.reaction] = info;
    byReaction.set(Number(r.id), info);
  }
  if (reactorLimit > 0 && byReaction.size > 0) {
    const reactors = await db.all<{ reaction_id: number; session_id: string }>(sql`
      SELECT ur.reaction_id, u.session_id FROM user_reactions ur JOIN users u ON u.id = ur.user_id
        WHERE ur.reaction_id IN (${sql.join([...byReaction.keys()], sql`, `)}) ORDER BY ur.at, ur.user_id`);
    for (const r of reactors) {
      const info = byReaction.get(Number(r.reaction_id))!;
      info.reactors ??= [];
      if (info.reactors.length < reactorLimit) info.reactors.push(r.session_id);
    }
  }
  return out;
}

/** SOGS allows reactions of 1 to 12 characters (code points). */
export function checkReaction(reaction: string): void {
  const len = [...reaction].length;
  if (len < 1 || len > 12) throw badRequest("reaction must be 1 to 12 characters");
}

async function requireRegular(db: Db, room: Room, id: number) {
  if (!(await isRegularMessage(db, room, id))) throw notFound("No such message");
}

async function messageSeqno(db: Db, id: number): Promise<number> {
  return Number((await db.one<{ seqno: number }>(sql`SELECT seqno FROM messages WHERE id = ${id}`))!.seqno);
}

/**
 * Runs `change` (true when it changed a row) on a regular message's reactions in one transaction,
 * bumping the message's reaction seqno when it did; answers with the message's seqno after.
 */
async function changeReactions(
  deps: DomainDeps,
  room: Room,
  id: number,
  reaction: string,
  change: (db: Db) => Promise<boolean>,
): Promise<{ changed: boolean; seqno: number }> {
  checkReaction(reaction);
  return deps.db.tx(async (db) => {
    await requireRegular(db, room, id);
    const changed = await change(db);
    if (changed) await bumpReactions(db, room, id);
    return { changed, seqno: await messageSeqno(db, id) };
  });
}

export async function addReaction(
  deps: DomainDeps,
  room: Room,
  user: User,
  id: number,
  reaction: string,
): Promise<{ added: boolean; seqno: number }> {
  const { changed, seqno } = await changeReactions(deps, room, id, reaction, async (db) => {
    await db.exec(sql`INSERT INTO reactions (message_id, reaction) VALUES (${id}, ${reaction})
      ON CONFLICT (message_id, reaction) DO NOTHING`);
    const rid = Number(
      (await db.one<{ id: number }>(
        sql`SELECT id FROM reactions WHERE message_id = ${id} AND reaction = ${reaction}`,
      ))!.id,
    );
    return (
      (await db.exec(sql`INSERT INTO user_reactions (reaction_id, user_id, at) VALUES (${rid}, ${user.id}, ${deps.now() / 1000})
        ON CONFLICT (reaction_id, user_id) DO NOTHING`)) > 0
    );
  });
  return { added: changed, seqno };
}

async function bumpReactions(db: Db, room: Room, id: number) {
  const seqno = await nextSeqno(db, room.id);
  await db.exec(sql`UPDATE messages SET seqno_reactions = ${seqno}, seqno = ${seqno} WHERE id = ${id}`);
}

export async function removeReaction(
  deps: DomainDeps,
  room: Room,
  user: User,
  id: number,
  reaction: string,
): Promise<{ removed: boolean; seqno: number }> {
  const { changed, seqno } = await changeReactions(
    deps,
    room,
    id,
    reaction,
    async (db) =>
      (await db.exec(sql`DELETE FROM user_reactions WHERE user_id = ${user.id} AND reaction_id =
        (SELECT id FROM reactions WHERE message_id = ${id} AND reaction = ${reaction})`)) > 0,
  );
  return { removed: changed, seqno };
}

/** Moderator removal of every reaction (or every one of `reaction`) on a message. */
export async function clearReactions(
  deps: DomainDeps,
  room: Room,
  id: number,
  reaction: string | undefined,
): Promise<{ removed: number; seqno: number }> {
  if (reaction !== undefined) checkReaction(reaction);
  return deps.db.tx(async (db) => {
    await requireRegular(db, room, id);
    const removed = await db.exec(sql`DELETE FROM user_reactions WHERE reaction_id IN
      (SELECT id FROM reactions WHERE message_id = ${id} ${reaction === undefined ? sql`` : sql`AND reaction = ${reaction}`})`);
    if (removed > 0) await bumpReactions(db, room, id);
    return { removed, seqno: await messageSeqno(db, id) };
  });
}

/** [session_id, unix time] of those who reacted, oldest first. */
export async function reactors(
  deps: DomainDeps,
  room: Room,
  id: number,
  reaction: string,
  limit: number | undefined,
): Promise<[string, number][]> {
  checkReaction(reaction);
  await requireRegular(deps.db, room, id);
  const rows = await deps.db.all<{ session_id: string; at: number }>(sql`
    SELECT u.session_id, ur.at FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction_id JOIN users u ON u.id = ur.user_id
      WHERE r.message_id = ${id} AND r.reaction = ${reaction} ORDER BY ur.at, ur.user_id
      ${limit ? sql`LIMIT ${limit}` : sql``}`);
  return rows.map((r) => [r.session_id, Number(r.at)]);
}
