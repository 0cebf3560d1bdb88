import type { IncomingMessage } from "../messages.ts";
import type { Conversation } from "../state/store.ts";

/** One line per conversation: `<Session ID>  <name>  <state>`. */
export function conversationLine(c: Conversation): string {
  const state = c.approved ? (c.approvedMe ? "contact" : "contact (they have not accepted yet)") : "request";
  return `${c.sessionId}  ${(c.name ?? "").padEnd(16)}  ${state}  last ${new Date(c.lastMessageAt).toISOString()}`;
}

/** How `listen` prints a message. */
export function messageLine(m: IncomingMessage): string {
  const when = new Date(m.timestamp).toISOString();
  if (m.syncTarget) return `${when} me → ${m.syncTarget}: ${m.text ?? "(no text)"}`;
  const response = m.content.messageRequestResponse;
  if (response)
    return `${when} ${m.from} ${response.isApproved ? "accepted" : "declined"} your message request`;
  const disappears = m.expiration ? ` [disappears ${m.expiration.seconds}s ${m.expiration.type}]` : "";
  return `${when} ${m.from}${m.isRequest ? " (request)" : ""}: ${m.text ?? "(no text)"}${disappears}`;
}
