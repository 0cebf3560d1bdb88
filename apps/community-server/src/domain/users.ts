import { blind15Ids, blind25Id, isSessionId } from "@session/crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../db/sql.ts";
import { badRequest } from "../errors.ts";
import type { DomainDeps } from "./context.ts";

export interface User {
  id: number;
  sessionId: string;
  /** Globally banned now (an expired timed ban counts as lifted). */
  banned: boolean;
  globalModerator: boolean;
  globalAdmin: boolean;
  visibleMod: boolean;
}

interface UserRow {
  id: number;
  session_id: string;
  banned: number;
  ban_expires: number | null;
  moderator: number;
  admin: number;
  visible_mod: number;
}

function toUser(row: UserRow, nowS: number): User {
  const admin = Number(row.admin) === 1;
  return {
    id: Number(row.id),
    sessionId: row.session_id,
    banned: Number(row.banned) === 1 && (row.ban_expires === null || Number(row.ban_expires) > nowS),
    globalModerator: admin || Number(row.moderator) === 1,
    globalAdmin: admin,
    visibleMod: Number(row.visible_mod) === 1,
  };
}

export const SESSION_ID_RE = /^(05|15|25)[0-9a-f]{64}$/;

export async function findUser(db: Db, sessionId: string, nowS: number): Promise<User | undefined> {
  const row = await db.one<UserRow>(sql`SELECT * FROM users WHERE session_id = ${sessionId}`);
  return row ? toUser(row, nowS) : undefined;
}

export async function userById(db: Db, id: number, nowS: number): Promise<User | undefined> {
  const row = await db.one<UserRow>(sql`SELECT * FROM users WHERE id = ${id}`);
  return row ? toUser(row, nowS) : undefined;
}

/**
 * The user for an ID that signed a request, created on first sight. A new blinded ID takes over the
 * row an operator or moderator made for its unblinded 05 ID (mod rights, bans set before this
 * person first signed in), as SOGS's needs_blinding table does.
 */
export async function userForSigner(deps: DomainDeps, sessionId: string): Promise<User> {
  const nowS = deps.now() / 1000;
  const existing = await findUser(deps.db, sessionId, nowS);
  if (existing) return existing;
  return deps.db.tx(async (db) => {
    const pending = await db.one<{ user_id: number }>(
      sql`SELECT user_id FROM pending_blinding WHERE candidate = ${sessionId}`,
    );
    if (pending) {
      await db.exec(sql`UPDATE users SET session_id = ${sessionId} WHERE id = ${pending.user_id}`);
      await db.exec(sql`DELETE FROM pending_blinding WHERE user_id = ${pending.user_id}`);
    } else {
      await db.exec(
        sql`INSERT INTO users (session_id, created, last_active) VALUES (${sessionId}, ${nowS}, ${nowS})
            ON CONFLICT (session_id) DO NOTHING`,
      );
    }
    return (await findUser(db, sessionId, nowS))!;
  });
}

/**
 * The user a moderation or permission call names. A 05 ID on a server that blinds is matched to
 * the blinded user it belongs to if that user exists; otherwise a row is kept under the 05 ID with
 * its blinded candidates pending, so the first sign-in by the blinded ID inherits it.
 */
export async function userForTarget(deps: DomainDeps, sessionId: string): Promise<User> {
  const id = sessionId.toLowerCase();
  if (!SESSION_ID_RE.test(id) || (id.startsWith("05") && !isSessionId(id))) {
    throw badRequest("Invalid Session ID");
  }
  const nowS = deps.now() / 1000;
  if (!id.startsWith("05")) return userForSigner(deps, id);
  const candidates = [...blind15Ids(id, deps.serverPk), blind25Id(id, deps.serverPk)];
  return deps.db.tx(async (db) => {
    for (const c of [id, ...candidates]) {
      const u = await findUser(db, c, nowS);
      if (u) return u;
    }
    await db.exec(sql`INSERT INTO users (session_id, created, last_active) VALUES (${id}, ${nowS}, ${nowS})`);
    const u = (await findUser(db, id, nowS))!;
    for (const c of candidates) {
      await db.exec(
        sql`INSERT INTO pending_blinding (candidate, user_id) VALUES (${c}, ${u.id}) ON CONFLICT (candidate) DO NOTHING`,
      );
    }
    return u;
  });
}

export async function touchUser(db: Db, user: User, nowS: number): Promise<void> {
  await db.exec(sql`UPDATE users SET last_active = ${nowS} WHERE id = ${user.id}`);
}

export async function touchRoomActivity(
  db: Db,
  roomId: number,
  user: User | null,
  nowS: number,
): Promise<void> {
  if (!user) return;
  await db.exec(
    sql`INSERT INTO room_users (room_id, user_id, last_active) VALUES (${roomId}, ${user.id}, ${nowS})
        ON CONFLICT (room_id, user_id) DO UPDATE SET last_active = ${nowS}`,
  );
}
