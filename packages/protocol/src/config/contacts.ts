// The contacts config (libsession contacts.cpp):
// c → { <33-byte Session ID>: { n, N, p, q, a, A, b, +, @, !, e, E, j } }.
import { bin, truncateUtf8, unbin } from "./bt.ts";
import type { ConfigDict } from "./config-data.ts";
import {
  dictsBySessionId,
  ensureDict,
  idKey,
  int,
  MAX_NAME_BYTES,
  type ProfilePicture,
  readPic,
  setFlag,
  setNonEmptyStr,
  setNonZero,
  setPositive,
  str,
  subDict,
  writePic,
} from "./config-fields.ts";

export interface ContactInfo {
  sessionId: string;
  /** Their display name ("" when unknown). */
  name: string;
  nickname?: string;
  picture?: ProfilePicture;
  approved: boolean;
  approvedMe: boolean;
  blocked: boolean;
  /** >0 pinned, -1 hidden. */
  priority?: number;
  /** 1 all, 2 disabled (absent: default). */
  notifications?: number;
  /** Notifications muted until (unix seconds). */
  muteUntil?: number;
  disappearing?: { mode: "after-send" | "after-read"; seconds: number };
  /** Unix seconds. */
  created?: number;
}

function readContact(sessionId: string, v: ConfigDict): ContactInfo {
  const c: ContactInfo = {
    sessionId,
    name: unbin(str(v.n) ?? ""),
    approved: !!int(v.a),
    approvedMe: !!int(v.A),
    blocked: !!int(v.b),
  };
  const nick = str(v.N);
  if (nick) c.nickname = unbin(nick);
  const pic = readPic(v);
  if (pic) c.picture = pic;
  if (int(v["+"])) c.priority = int(v["+"])!;
  const notify = int(v["@"]);
  // 3 (mentions only) reads as 1 (all) for 1:1 chats, as libsession does.
  if (notify !== undefined && notify >= 1 && notify <= 3) c.notifications = notify === 3 ? 1 : notify;
  if ((int(v["!"]) ?? 0) > 0) c.muteUntil = int(v["!"])!;
  const mode = int(v.e);
  const secs = int(v.E) ?? 0;
  if ((mode === 1 || mode === 2) && secs > 0)
    c.disappearing = { mode: mode === 1 ? "after-send" : "after-read", seconds: secs };
  if ((int(v.j) ?? 0) > 0) c.created = int(v.j)!;
  return c;
}

export function readContacts(d: ConfigDict): ContactInfo[] {
  return dictsBySessionId(d, "c").map(([id, v]) => readContact(id, v));
}

export function getContact(d: ConfigDict, sessionId: string): ContactInfo | undefined {
  const v = subDict(d, "c")?.[idKey(sessionId)];
  return typeof v === "object" && !Array.isArray(v) ? readContact(sessionId.toLowerCase(), v) : undefined;
}

/**
 * Sets the fields present in `patch` on a contact (created when missing), as libsession's
 * Contacts::set writes them; keys we do not know are left as they are. `n` is always present so
 * the contact's dict is never pruned away.
 */
export function writeContact(
  d: ConfigDict,
  sessionId: string,
  patch: Partial<Omit<ContactInfo, "sessionId">>,
): void {
  const e = ensureDict(ensureDict(d, "c"), idKey(sessionId));
  if ("name" in patch || e.n === undefined)
    e.n = bin(truncateUtf8(patch.name ?? unbin(str(e.n) ?? ""), MAX_NAME_BYTES));
  if ("nickname" in patch)
    setNonEmptyStr(e, "N", patch.nickname && truncateUtf8(patch.nickname, MAX_NAME_BYTES));
  if ("picture" in patch) writePic(e, patch.picture);
  if ("approved" in patch) setFlag(e, "a", !!patch.approved);
  if ("approvedMe" in patch) setFlag(e, "A", !!patch.approvedMe);
  if ("blocked" in patch) setFlag(e, "b", !!patch.blocked);
  if ("priority" in patch) setNonZero(e, "+", patch.priority);
  if ("notifications" in patch) setPositive(e, "@", patch.notifications === 3 ? 1 : patch.notifications);
  if ("muteUntil" in patch) setPositive(e, "!", patch.muteUntil);
  if ("disappearing" in patch) {
    const x = patch.disappearing;
    if (x && x.seconds > 0) {
      e.e = x.mode === "after-send" ? 1 : 2;
      e.E = x.seconds;
    } else {
      delete e.e;
      delete e.E;
    }
  }
  if ("created" in patch) setPositive(e, "j", patch.created);
}

export function removeContact(d: ConfigDict, sessionId: string): void {
  const all = subDict(d, "c");
  if (all) delete all[idKey(sessionId)];
}
