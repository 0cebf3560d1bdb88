import { isSessionId } from "@session/crypto";
import type { Content } from "@session/protocol";
import { ClientError } from "../errors.ts";
import type { ClientStore, Conversation } from "./store.ts";

/*
 * Message requests as Session has them: a first message from an unknown ID opens an unapproved
 * conversation (a request); accepting (or writing to them) approves it; their approval
 * (MessageRequestResponse, or any message from them after ours) sets `approvedMe`; a blocked ID's
 * messages are dropped. Functions over a ClientStore, so the SDK and the CLI share them.
 */

/** A 05 Session ID in lower case, or BAD_RECIPIENT naming what was wrong. */
export function sessionIdArg(id: string): string {
  if (!isSessionId(id, 0x05)) throw new ClientError("BAD_RECIPIENT", `not a Session ID: ${id}`);
  return id.toLowerCase();
}

function fresh(sessionId: string, at: number): Conversation {
  return { sessionId, approved: false, approvedMe: false, createdAt: at, lastMessageAt: at };
}

export interface IncomingVerdict {
  deliver: boolean;
  isRequest: boolean;
}

/**
 * Records a message from `from` and says whether to deliver it. Our own messages (synced from
 * another device, `syncTarget` set) approve the conversation they were sent in.
 */
export async function recordIncoming(
  store: ClientStore,
  self: string,
  from: string,
  content: Content,
  timestamp: number,
): Promise<IncomingVerdict> {
  if (from === self) {
    const target = content.dataMessage?.syncTarget;
    if (target && isSessionId(target, 0x05)) await recordOutgoing(store, target, timestamp);
    return { deliver: true, isRequest: false };
  }
  if (await store.isBlocked(from)) return { deliver: false, isRequest: false };
  const c = (await store.conversation(from)) ?? fresh(from, timestamp);
  const response = content.messageRequestResponse;
  // A response says whether they approved us; any other message from them after ours does too.
  if (response) c.approvedMe = response.isApproved;
  else if (c.approved) c.approvedMe = true;
  const name = response?.profile?.displayName ?? content.dataMessage?.profile?.displayName;
  if (name) c.name = name;
  c.lastMessageAt = Math.max(c.lastMessageAt, timestamp);
  await store.putConversation(c);
  return { deliver: true, isRequest: !c.approved };
}

/** We wrote to `to` (from this device or another): the conversation is approved. */
export async function recordOutgoing(store: ClientStore, to: string, timestamp: number): Promise<void> {
  const c = (await store.conversation(to)) ?? fresh(to, timestamp);
  c.approved = true;
  c.lastMessageAt = Math.max(c.lastMessageAt, timestamp);
  await store.putConversation(c);
}

/** Approves `id`'s conversation (a request becomes a contact). */
export async function approve(store: ClientStore, id: string, now: number): Promise<Conversation> {
  const c = (await store.conversation(id)) ?? fresh(id, now);
  c.approved = true;
  await store.putConversation(c);
  return c;
}

/** Deletes a pending request; NOT_A_REQUEST when `id` has none. */
export async function declineRequest(store: ClientStore, id: string): Promise<void> {
  const c = await store.conversation(id);
  if (!c || c.approved) throw new ClientError("NOT_A_REQUEST", `no message request from ${id}`);
  await store.deleteConversation(id);
}

/** Pending message requests (blocked IDs left out), oldest first. */
export async function listRequests(store: ClientStore): Promise<Conversation[]> {
  const blocked = new Set(await store.blocked());
  return (await store.conversations()).filter((c) => !c.approved && !blocked.has(c.sessionId));
}

/** Approved conversations (blocked IDs left out), oldest first. */
export async function listContacts(store: ClientStore): Promise<Conversation[]> {
  const blocked = new Set(await store.blocked());
  return (await store.conversations()).filter((c) => c.approved && !blocked.has(c.sessionId));
}
