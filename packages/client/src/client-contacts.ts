import type { LokiProfile } from "@session/protocol";
import type { SentMessage } from "./client-options.ts";
import { outgoingProfile } from "./client-profile.ts";
import { type SendContext, storeContent } from "./client-send.ts";
import { approve, sessionIdArg } from "./state/conversations.ts";
import type { ClientStore } from "./state/store.ts";
import type { UserConfigs } from "./state/user-configs.ts";

// A SessionClient's contacts: accepting requests, blocking, and keeping the contacts config in
// step with both (split out of client.ts, whose `accept`, `block` and `unblock` call these).

export type ContactPatch = Parameters<UserConfigs["updateContact"]>[1];

/** What contact changes need of the client. */
export interface ContactsContext {
  store: ClientStore;
  /** The account's configs when they are synced (the `userConfigs` option), else undefined. */
  configs: UserConfigs | undefined;
  /** Reports an error that must not fail the caller. */
  report(err: Error): void;
}

/**
 * A contact changed here: written into the contacts config and pushed, so our other devices
 * follow. The local change stands either way; a failed push is retried at the next poll.
 */
export async function contactChanged(
  c: ContactsContext,
  id: string,
  patch: ContactPatch,
  onlyKnown = false,
): Promise<void> {
  if (!c.configs) return;
  try {
    if (onlyKnown && !(await c.configs.contact(id))) return;
    await c.configs.updateContact(id, patch);
  } catch (err) {
    c.report(err as Error);
  }
}

/**
 * Accepts a message request: `id` becomes a contact and gets Session's MessageRequestResponse
 * (approved, with our profile, else `fallbackProfile`), so their client knows.
 */
export async function acceptRequest(
  c: ContactsContext,
  sending: SendContext,
  id: string,
  reply: { fallbackProfile: LokiProfile | undefined; ttl: number },
): Promise<SentMessage> {
  const sessionId = sessionIdArg(id);
  const conv = await approve(c.store, sessionId, sending.now());
  const response = {
    isApproved: true,
    ...(await outgoingProfile(c.configs, reply.fallbackProfile)),
  };
  const sent = await storeContent(sending, sessionId, { messageRequestResponse: response }, reply.ttl);
  await contactChanged(c, sessionId, {
    approved: true,
    approvedMe: conv.approvedMe,
    ...(conv.name ? { name: conv.name } : {}),
  });
  return sent;
}

/**
 * Blocks or unblocks `id`. Unblocking touches the contacts config only for a contact it already
 * holds (an unknown ID needs no entry).
 */
export async function setBlocked(c: ContactsContext, id: string, blocked: boolean): Promise<void> {
  const sessionId = sessionIdArg(id);
  await c.store.setBlocked(sessionId, blocked);
  await contactChanged(c, sessionId, { blocked }, !blocked);
}
