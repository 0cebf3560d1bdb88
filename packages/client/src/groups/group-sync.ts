import { fromBase64 } from "@session/crypto";
import { GroupNamespace, writeMember } from "@session/protocol/groups";
import { expirationOf } from "../messages.ts";
import type { Group } from "./group.ts";
import type { GroupMessage } from "./group-message.ts";
import { openGroupMessage, type RetrievedRaw } from "./group-retrieve.ts";

// Applying what one sync retrieved from a group swarm (split out of group.ts, whose `sync()`
// retrieves, calls this, then acts as admin on the outcome).

/** What a sync found: messages to deliver, and what admins act on. */
export interface SyncOutcome {
  messages: GroupMessage[];
  /** Members who sent a leave message (collected for admins only). */
  leavers: string[];
  /** An admin cleared an invitee's invite status (the members config needs a push). */
  accepted: boolean;
}

/**
 * Loads new keys first (so configs and messages under a rotated key open), merges the configs,
 * then reads the messages: invite responses and leave messages are for admins, other group
 * updates are skipped, the rest is delivered. `seen` holds the hashes already applied.
 */
export function applyRetrieved(g: Group, seen: Set<string>, got: Map<number, RetrievedRaw[]>): SyncOutcome {
  for (const m of got.get(GroupNamespace.Keys)!) {
    if (seen.has(m.hash)) continue;
    seen.add(m.hash);
    g.keys.load(fromBase64(m.data), m.timestamp);
  }
  const keys = g.keys.all().map((k) => k.key);
  for (const [ns, conf] of [
    [GroupNamespace.Info, g.infoConfig],
    [GroupNamespace.Members, g.membersConfig],
  ] as const) {
    const fresh = got.get(ns)!.filter((m) => !seen.has(m.hash));
    for (const m of fresh) seen.add(m.hash);
    if (fresh.length)
      conf.merge(
        fresh.map((m) => fromBase64(m.data)),
        keys,
      );
  }
  const out: GroupMessage[] = [];
  const leavers: string[] = [];
  let accepted = false;
  for (const m of got.get(GroupNamespace.Messages)!) {
    if (seen.has(m.hash)) continue;
    seen.add(m.hash);
    // Not for a key we hold (e.g. sent after our removal), or not decodable: skipped.
    const opened = openGroupMessage(keys, m.data);
    if (!opened) continue;
    const { content, timestamp } = opened;
    const update = content.dataMessage?.groupUpdateMessage;
    if (update?.inviteResponse?.isApproved && g.isAdmin) {
      const mem = g.members().find((x) => x.sessionId === opened.sender);
      if (mem?.inviteStatus) {
        g.membersConfig.edit((d) => {
          const { inviteStatus: _i, supplement: _s, ...rest } = mem;
          writeMember(d, rest);
        });
        accepted = true;
      }
      continue;
    }
    if (update?.memberLeftMessage) {
      if (g.isAdmin && g.members().some((x) => x.sessionId === opened.sender)) leavers.push(opened.sender);
      continue;
    }
    if (update) continue;
    const msg: GroupMessage = {
      hash: m.hash,
      groupId: g.id,
      from: opened.sender,
      text: content.dataMessage?.body,
      timestamp,
      content,
    };
    const exp = expirationOf(content);
    if (exp) msg.expiration = exp;
    out.push(msg);
  }
  return { messages: out, leavers, accepted };
}
