import { type Content, EnvelopeType, ExpirationType, encodeEnvelope } from "@session/protocol";
import { encryptGroupMessage, type GroupInfo, type GroupKeys } from "@session/protocol/groups";
import { ClientError } from "../errors.ts";
import type { IncomingMessage } from "../messages.ts";
import { padContent } from "../messages.ts";

// A group's messages (namespace 11): what is delivered, and how one is made ready to send
// (split out of group.ts, whose `sendContent` calls these and `sync` delivers GroupMessages).

export interface GroupMessage extends Omit<IncomingMessage, "isRequest"> {
  groupId: string;
}

export interface GroupSendOptions {
  ttlMs?: number;
  disappear?: { type: "after-send" | "after-read"; seconds: number };
}

const MESSAGE_TTL = 14 * 24 * 3600 * 1000;

function groupDefaultDisappear(info: GroupInfo): GroupSendOptions["disappear"] {
  return info.disappearSeconds ? { type: "after-send", seconds: info.disappearSeconds } : undefined;
}

/**
 * Sets `content`'s disappearing fields (the call's setting, else the group's timer) and returns
 * the TTL to store the message with.
 */
export function applyDisappearing(content: Content, opts: GroupSendOptions, info: GroupInfo): number {
  let ttl = opts.ttlMs ?? MESSAGE_TTL;
  const disappear = opts.disappear ?? groupDefaultDisappear(info);
  if (disappear) {
    content.expirationType =
      disappear.type === "after-read" ? ExpirationType.DELETE_AFTER_READ : ExpirationType.DELETE_AFTER_SEND;
    content.expirationTimer = disappear.seconds;
    if (disappear.type === "after-send") ttl = Math.max(10_000, disappear.seconds * 1000);
  }
  return ttl;
}

/** The closed-group envelope of `content` from group `groupId` (padded, not yet encrypted). */
export function groupEnvelope(groupId: string, content: Content, timestamp: number): Uint8Array {
  return encodeEnvelope({
    type: EnvelopeType.CLOSED_GROUP_MESSAGE,
    source: groupId,
    timestamp,
    content: padContent(content),
  });
}

/** `envelope` encrypted with the group's current key; NOT_GROUP_MEMBER before we hold one. */
export function encryptForGroup(keys: GroupKeys, ed25519Sk: Uint8Array, envelope: Uint8Array): Uint8Array {
  let key: Uint8Array;
  try {
    key = keys.current().key;
  } catch (cause) {
    throw new ClientError("NOT_GROUP_MEMBER", "no group key yet: sync the group first", undefined, {
      cause,
    });
  }
  return encryptGroupMessage(ed25519Sk, key, envelope);
}
