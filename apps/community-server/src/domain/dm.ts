import { sql } from "drizzle-orm";
import { badRequest, notFound } from "../errors.ts";
import type { DomainDeps } from "./context.ts";
import { findUser, type User } from "./users.ts";

export interface DmView {
  id: number;
  posted_at: number;
  expires_at: number;
  sender: string;
  recipient: string;
  message?: Uint8Array;
}

/** Stores a blinded DM for an existing, unbanned blinded user (SOGS `POST /inbox/:blinded_id`). */
export async function sendDm(
  deps: DomainDeps,
  sender: User,
  recipientId: string,
  body: Uint8Array,
): Promise<DmView> {
  const nowS = deps.now() / 1000;
  const recipient = await findUser(deps.db, recipientId, nowS);
  if (!recipient || recipient.banned) throw notFound("No such recipient");
  if (body.length === 0) throw badRequest("No message provided");
  const expires = nowS + deps.limits.dmTtlSeconds;
  const row = await deps.db.one<{ id: number }>(sql`
    INSERT INTO inbox (recipient_id, sender_id, posted, expiry, body)
    VALUES (${recipient.id}, ${sender.id}, ${nowS}, ${expires}, ${Buffer.from(body)}) RETURNING id`);
  return {
    id: Number(row!.id),
    posted_at: nowS,
    expires_at: expires,
    sender: sender.sessionId,
    recipient: recipient.sessionId,
  };
}

/** Live DMs to (`box` "in") or from ("out") a user, oldest first, after `since` if given. */
export async function dmBox(
  deps: DomainDeps,
  user: User,
  box: "in" | "out",
  since: number | undefined,
  limit: number,
): Promise<DmView[]> {
  const nowS = deps.now() / 1000;
  const mine = box === "in" ? sql`i.recipient_id = ${user.id}` : sql`i.sender_id = ${user.id}`;
  const rows = await deps.db.all<{
    id: number;
    posted: number;
    expiry: number;
    body: Uint8Array;
    sender: string;
    recipient: string;
  }>(sql`
    SELECT i.id, i.posted, i.expiry, i.body, s.session_id AS sender, r.session_id AS recipient
      FROM inbox i JOIN users s ON s.id = i.sender_id JOIN users r ON r.id = i.recipient_id
      WHERE ${mine} AND i.expiry > ${nowS} ${since === undefined ? sql`` : sql`AND i.id > ${since}`}
      ORDER BY i.id LIMIT ${limit}`);
  return rows.map((r) => ({
    id: Number(r.id),
    posted_at: Number(r.posted),
    expires_at: Number(r.expiry),
    sender: r.sender,
    recipient: r.recipient,
    message: new Uint8Array(r.body),
  }));
}

export async function clearInbox(deps: DomainDeps, user: User): Promise<number> {
  return deps.db.exec(sql`DELETE FROM inbox WHERE recipient_id = ${user.id}`);
}
