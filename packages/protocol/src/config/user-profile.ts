// The user-profile config (libsession user_profile.cpp): n name, p/q picture, + Note-to-Self
// priority, e Note-to-Self expiry, M blinded message requests.
import { truncateUtf8, unbin } from "./bt.ts";
import type { ConfigDict } from "./config-data.ts";
import {
  int,
  MAX_NAME_BYTES,
  type ProfilePicture,
  readPic,
  setNonEmptyStr,
  setNonZero,
  setPositive,
  str,
  writePic,
} from "./config-fields.ts";

export interface UserProfile {
  name?: string;
  picture?: ProfilePicture;
  /** Note to Self: >0 pinned, -1 hidden. */
  noteToSelfPriority?: number;
  /** Note to Self disappearing timer (seconds). */
  noteToSelfExpiry?: number;
  /** Community message requests from blinded IDs accepted (absent: not set). */
  blindedMessageRequests?: boolean;
}

export function readUserProfile(d: ConfigDict): UserProfile {
  const out: UserProfile = {};
  const n = str(d.n);
  if (n) out.name = unbin(n);
  const pic = readPic(d);
  if (pic) out.picture = pic;
  if (int(d["+"])) out.noteToSelfPriority = int(d["+"])!;
  if ((int(d.e) ?? 0) > 0) out.noteToSelfExpiry = int(d.e)!;
  if (int(d.M) !== undefined) out.blindedMessageRequests = int(d.M) !== 0;
  return out;
}

/** Writes the fields present in `p` (undefined clears one); names are cut to 100 bytes. */
export function writeUserProfile(d: ConfigDict, p: Partial<UserProfile>): void {
  if ("name" in p) setNonEmptyStr(d, "n", p.name && truncateUtf8(p.name, MAX_NAME_BYTES));
  if ("picture" in p) writePic(d, p.picture);
  if ("noteToSelfPriority" in p) setNonZero(d, "+", p.noteToSelfPriority);
  if ("noteToSelfExpiry" in p) setPositive(d, "e", p.noteToSelfExpiry);
  if ("blindedMessageRequests" in p) {
    if (p.blindedMessageRequests === undefined) delete d.M;
    else d.M = p.blindedMessageRequests ? 1 : 0;
  }
}
