import { type Content, ExpirationType, type NodeInfo } from "@session/protocol";
import { type AttachmentRef, toPointer } from "./attachments.ts";
import type { SendOptions, SentMessage } from "./client-options.ts";
import { ClientError } from "./errors.ts";
import { sealMessage } from "./messages.ts";
import type { RpcReply } from "./network/transport.ts";

// The send side of a SessionClient: building 1:1 message content and storing it in a swarm
// (split out of client.ts, whose `sendText` and `accept` call these).

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
export function textContent(
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
