// The conversation-info config (libsession convo_info_volatile.cpp), its 1:1 part:
// 1 → { <33-byte Session ID>: { r last read (ms), u unread } } (communities, groups and legacy
// groups under o, g, C are kept as received).
import type { ConfigDict } from "./config-data.ts";
import { dictsBySessionId, ensureDict, idKey, int, setFlag, subDict } from "./config-fields.ts";

export interface ConvoVolatile {
  sessionId: string;
  /** Newest read message (unix ms); 0 when none. */
  lastRead: number;
  /** Marked unread by the user. */
  unread: boolean;
}

/** Conversations last read more than this long ago are dropped when pushing (PRUNE_HIGH). */
export const CONVO_PRUNE_HIGH_MS = 45 * 24 * 3600 * 1000;
/** Read times older than this are not recorded unless they move a value back (PRUNE_LOW). */
export const CONVO_PRUNE_LOW_MS = 30 * 24 * 3600 * 1000;

export function readConvos1to1(d: ConfigDict): ConvoVolatile[] {
  return dictsBySessionId(d, "1").map(([id, v]) => ({
    sessionId: id,
    lastRead: int(v.r) ?? 0,
    unread: !!int(v.u),
  }));
}

/** libsession ConvoInfoVolatile::set for a 1:1 conversation. */
export function writeConvo1to1(d: ConfigDict, c: ConvoVolatile, now: number): void {
  const key = idKey(c.sessionId);
  const existing = subDict(d, "1")?.[key];
  const cur = typeof existing === "object" && !Array.isArray(existing) ? int(existing.r) : undefined;
  const setRead = (cur !== undefined && c.lastRead < cur) || c.lastRead > now - CONVO_PRUNE_LOW_MS;
  // Like libsession's dict proxies: nothing is created unless a value is set.
  if (!setRead && !c.unread && existing === undefined) return;
  const e = ensureDict(ensureDict(d, "1"), key);
  if (setRead) e.r = c.lastRead;
  setFlag(e, "u", c.unread);
}

/** libsession prune_stale for 1:1 conversations: read long ago and not marked unread. */
export function pruneStaleConvos(d: ConfigDict, now: number): void {
  const all = subDict(d, "1");
  if (!all) return;
  for (const [k, v] of Object.entries(all)) {
    if (typeof v !== "object" || Array.isArray(v)) continue;
    if (!int(v.u) && (int(v.r) ?? 0) < now - CONVO_PRUNE_HIGH_MS) delete all[k];
  }
}
