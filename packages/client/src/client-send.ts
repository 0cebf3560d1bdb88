import { type Content, ExpirationType, type NodeInfo } from "@session/protocol";
import { type AttachmentRef, toPointer } from "./attachments.ts";
import type { SendOptions, SentMessage } from "./client-options.ts";
import { ClientError } from "./errors.ts";
import { sealMessage } from "./messages.ts";
import type { RpcReply } from "./network/transport.ts";
import { recordOutgoing } from "./state/conversations.ts";
import type { ClientStore } from "./state/store.ts";
import type { UserConfigs } from "./state/user-configs.ts";

// The send side of a SessionClient: building 1:1 message content and storing it in a swarm
// (split out of client.ts, whose `sendText` calls `sendText` and `accept` `storeContent`).

/** What storing a message needs of the client. */
export interface SendContext {
  secretKey: Uint8Array;
  now(): number;
  swarmRpc(
    account: string,
    method: string,
    params: (dest: NodeInfo) => unknown,
  ): Promise<RpcReply & { node: NodeInfo }>;
}

/** A text message's Content (with attachments and disappearing setting) and its TTL. */
function textContent(
  text: string,
  opts: SendOptions,
  files: AttachmentRef[],
  defaultTtl: number,
): { content: Content; dataMessage: NonNullable<Content["dataMessage"]>; ttl: number } {
  const dataMessage = { body: text, ...(files.length ? { attachments: files.map(toPointer) } : {}) };
  const content: Content = { dataMessage };
  let ttl = opts.ttlMs ?? defaultTtl;
  if (opts.disappear) {
    content.expirationType =
      opts.disappear.type === "after-read"
        ? ExpirationType.DELETE_AFTER_READ
        : ExpirationType.DELETE_AFTER_SEND;
    content.expirationTimer = opts.disappear.seconds;
    if (opts.disappear.type === "after-send") ttl = Math.max(10_000, opts.disappear.seconds * 1000);
  }
  return { content, dataMessage, ttl };
}

/**
 * Encrypts `content` for `recipient` and stores it in their swarm (namespace 0). The timestamp
 * is network time, taken afresh when a node's answer corrected our clock (unless `timestamp`).
 */
export async function storeContent(
  c: SendContext,
  recipient: string,
  content: Content,
  ttl: number,
  timestamp?: number,
): Promise<SentMessage> {
  let used = timestamp ?? c.now();
  const r = await c.swarmRpc(recipient, "store", () => {
    used = timestamp ?? c.now();
    const data = sealMessage(c.secretKey, recipient, content, used);
    return { pubkey: recipient, namespace: 0, timestamp: used, ttl, data };
  });
  if (r.status !== 200)
    throw new ClientError("REQUEST_FAILED", `store failed: ${JSON.stringify(r.body)}`, r.status);
  return { hash: (r.body as { hash: string }).hash, timestamp: used, to: recipient };
}

/** What sending a text needs besides storing it: our own ID (for the sync copy) and bookkeeping. */
export interface TextSendContext extends SendContext {
  sessionId: string;
  store: ClientStore;
  defaultTtl: number;
  contactChanged(id: string, patch: Parameters<UserConfigs["updateContact"]>[1]): Promise<void>;
  /** Reports an error that must not fail the send. */
  report(err: Error): void;
}

/**
 * Sends a text message to `recipient` (a Session ID). A copy goes to our own swarm with
 * `syncTarget` set (Session's sync message), so our other devices show it too.
 */
export async function sendText(
  c: TextSendContext,
  recipient: string,
  text: string,
  opts: SendOptions,
  files: AttachmentRef[],
): Promise<SentMessage> {
  const { content, dataMessage, ttl } = textContent(text, opts, files, c.defaultTtl);
  const sent = await storeContent(c, recipient, content, ttl);
  await recordOutgoing(c.store, recipient, sent.timestamp);
  if (recipient !== c.sessionId) await c.contactChanged(recipient, { approved: true });
  if (recipient !== c.sessionId) {
    const copy: Content = { ...content, dataMessage: { ...dataMessage, syncTarget: recipient } };
    try {
      const own = await storeContent(c, c.sessionId, copy, ttl, sent.timestamp);
      await c.store.markSeen(own.hash, sent.timestamp + ttl);
    } catch (err) {
      // The message itself was sent; only our other devices miss it.
      c.report(err as Error);
    }
  }
  return sent;
}
