import {
  decryptIncoming,
  ed25519PkToX25519,
  encryptForRecipientDeterministic,
  fromHex,
  isSessionId,
  toHex,
} from "@session/crypto";
import { ProtocolError } from "../errors.ts";
import { Namespace } from "../namespaces.ts";
import {
  decodeContent,
  decodeEnvelope,
  decodeWebSocketMessage,
  EnvelopeType,
  encodeContent,
  encodeEnvelope,
  encodeWebSocketMessage,
  SharedConfigKind,
  WebSocketMessageType,
} from "../proto/codec.ts";
import { bin, binToBytes, bytesToBin, truncateUtf8, unbin } from "./bt.ts";
import type { ConfigDict, ConfigValue } from "./config-data.ts";
import { SyncedConfig } from "./synced-config.ts";

/*
 * The user's own configs, kept in the account's swarm so its linked devices converge
 * (libsession-util src/config/user_profile.cpp, contacts.cpp, convo_info_volatile.cpp):
 * unsigned config messages encrypted with the account's Ed25519 seed under the config's domain,
 * then wrapped as libsession pushes them (src/config/protos.cpp wrap_config): a
 * Content{sharedConfigMessage{kind, seqno, data}} ‖ 0x80, sealed to ourselves with the
 * deterministic Session encryption, in an Envelope (type 6, timestamp 1) in a WebSocketMessage.
 * Received messages are accepted wrapped (once or twice, as an old client did) or bare.
 *
 * Like libsession, a config is pushed zstd-compressed ("z" prefix, level 1) when that is smaller
 * (SyncedConfig.push); both forms are read.
 */

export const UserConfigKinds = {
  UserProfile: { namespace: Namespace.UserProfile, kind: SharedConfigKind.USER_PROFILE },
  Contacts: { namespace: Namespace.Contacts, kind: SharedConfigKind.CONTACTS },
  ConvoInfoVolatile: { namespace: Namespace.ConvoInfoVolatile, kind: SharedConfigKind.CONVO_INFO_VOLATILE },
} as const;
export type UserConfigDomain = keyof typeof UserConfigKinds;

/** libsession's largest pushed message (ConfigBase MAX_MESSAGE_SIZE). */
export const MAX_CONFIG_MESSAGE_SIZE = 76_800;

export class UserConfig extends SyncedConfig {
  private readonly seed: Uint8Array;
  private readonly kind: number;

  /** `ed25519SecretKey`: the account's 64-byte Ed25519 secret key (its first 32 bytes are the key). */
  constructor(
    override readonly domain: UserConfigDomain,
    private readonly ed25519SecretKey: Uint8Array,
  ) {
    super(domain, UserConfigKinds[domain].namespace);
    if (ed25519SecretKey.length !== 64)
      throw new ProtocolError("BAD_REQUEST", "user configs need the 64-byte Ed25519 secret key");
    this.seed = ed25519SecretKey.subarray(0, 32);
    this.kind = UserConfigKinds[domain].kind;
  }

  /** The message to store in our swarm (namespace `this.namespace`), as libsession pushes it. */
  pushMessage(): { seqno: number; data: Uint8Array } {
    const seqno = this.seqno;
    const data = wrapUserConfig(this.ed25519SecretKey, super.push(this.seed), seqno, this.kind);
    if (data.length > MAX_CONFIG_MESSAGE_SIZE)
      throw new ProtocolError("PAYLOAD_TOO_LARGE", `${this.domain} config is too large to push`);
    return { seqno, data };
  }

  /** Merges messages retrieved from our swarm (wrapped or bare); true when our view changed. */
  mergeMessages(messages: readonly Uint8Array[]): boolean {
    return this.merge(
      messages.map((m) => this.unwrap(m)),
      [this.seed],
    );
  }

  /**
   * True when a retrieved message is a config of ours we can read (one we may delete once a newer
   * push supersedes it; messages we cannot read may be a newer client's, and are left alone).
   */
  readableMessage(message: Uint8Array): boolean {
    return this.readable(this.unwrap(message), [this.seed]);
  }

  private unwrap(m: Uint8Array): Uint8Array {
    const once = unwrapUserConfig(this.ed25519SecretKey, m, this.kind);
    if (!once) return m;
    return unwrapUserConfig(this.ed25519SecretKey, once, this.kind) ?? once;
  }
}

/** libsession protos::wrap_config. */
export function wrapUserConfig(
  ed25519SecretKey: Uint8Array,
  encrypted: Uint8Array,
  seqno: number,
  kind: number,
): Uint8Array {
  const content = encodeContent({ sharedConfigMessage: { kind, seqno, data: encrypted } });
  const padded = new Uint8Array(content.length + 1);
  padded.set(content);
  padded[content.length] = 0x80;
  const ownX = ed25519PkToX25519(ed25519SecretKey.subarray(32));
  const sealed = encryptForRecipientDeterministic(ed25519SecretKey, ownX, padded);
  const envelope = encodeEnvelope({ type: EnvelopeType.SESSION_MESSAGE, timestamp: 1, content: sealed });
  return encodeWebSocketMessage({
    type: WebSocketMessageType.REQUEST,
    request: { verb: "", path: "", body: envelope, id: 0 },
  });
}

/** libsession protos::unwrap_config; undefined when `data` is not a wrapper of ours of `kind`. */
export function unwrapUserConfig(
  ed25519SecretKey: Uint8Array,
  data: Uint8Array,
  kind: number,
): Uint8Array | undefined {
  try {
    const ws = decodeWebSocketMessage(data);
    if (ws.type !== WebSocketMessageType.REQUEST || !ws.request?.body) return undefined;
    const env = decodeEnvelope(ws.request.body);
    if (!env.content) return undefined;
    const opened = decryptIncoming(ed25519SecretKey, env.content);
    if (toHex(opened.senderEd25519Pk) !== toHex(ed25519SecretKey.subarray(32))) return undefined;
    const p = opened.plaintext;
    let end = p.length;
    while (end > 0 && p[end - 1] === 0) end--;
    if (end === 0 || p[end - 1] !== 0x80) return undefined;
    const shared = decodeContent(p.subarray(0, end - 1)).sharedConfigMessage;
    if (!shared || shared.kind !== kind) return undefined;
    return shared.data;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Field helpers with libsession's semantics (src/config/internal.hpp).

/** Names are at most 100 bytes (contact_info::MAX_NAME_LENGTH), cut at a UTF-8 boundary. */
export const MAX_NAME_BYTES = 100;
/** Profile picture URLs are at most 223 bytes (profile_pic::MAX_URL_LENGTH). */
export const MAX_PIC_URL_BYTES = 223;

function setNonEmptyStr(d: ConfigDict, k: string, v: string | undefined): void {
  if (v) d[k] = bin(v);
  else delete d[k];
}
function setFlag(d: ConfigDict, k: string, v: boolean): void {
  if (v) d[k] = 1;
  else delete d[k];
}
function setNonZero(d: ConfigDict, k: string, v: number | undefined): void {
  if (v) d[k] = v;
  else delete d[k];
}
function setPositive(d: ConfigDict, k: string, v: number | undefined): void {
  if (v !== undefined && v > 0) d[k] = v;
  else delete d[k];
}
function str(v: ConfigValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}
function int(v: ConfigValue | undefined): number | undefined {
  return typeof v === "number" ? v : undefined;
}
function subDict(d: ConfigDict, k: string): ConfigDict | undefined {
  const v = d[k];
  return typeof v === "object" && !Array.isArray(v) ? v : undefined;
}
function ensureDict(d: ConfigDict, k: string): ConfigDict {
  let v = subDict(d, k);
  if (!v) {
    v = Object.create(null) as ConfigDict;
    d[k] = v;
  }
  return v;
}

/** A profile picture: the file server URL and the 32-byte key it is encrypted with. */
export interface ProfilePicture {
  url: string;
  key: Uint8Array;
}

function readPic(d: ConfigDict): ProfilePicture | undefined {
  const url = str(d.p);
  const key = str(d.q);
  if (!url || !key || key.length !== 32) return undefined;
  return { url: unbin(url), key: binToBytes(key) };
}
function writePic(d: ConfigDict, pic: ProfilePicture | undefined): void {
  if (pic?.url && pic.key.length === 32) {
    if (Buffer.byteLength(pic.url) > MAX_PIC_URL_BYTES)
      throw new ProtocolError("BAD_REQUEST", `profile picture URL is longer than ${MAX_PIC_URL_BYTES} bytes`);
    d.p = bin(pic.url);
    d.q = bytesToBin(pic.key);
  } else {
    delete d.p;
    delete d.q;
  }
}

function idKey(sessionId: string): string {
  if (!isSessionId(sessionId, 0x05)) throw new ProtocolError("BAD_REQUEST", `not a Session ID: ${sessionId}`);
  return bytesToBin(fromHex(sessionId));
}
function keyId(k: string): string | undefined {
  return k.length === 33 && k.charCodeAt(0) === 0x05 ? toHex(binToBytes(k)) : undefined;
}

/** The dicts under `k` keyed by a 05 Session ID (contacts, 1:1 conversations), by Session ID. */
function dictsBySessionId(d: ConfigDict, k: string): [sessionId: string, entry: ConfigDict][] {
  const out: [string, ConfigDict][] = [];
  for (const [key, v] of Object.entries(subDict(d, k) ?? {})) {
    const id = keyId(key);
    if (id && typeof v === "object" && !Array.isArray(v)) out.push([id, v]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// user_profile: n name, p/q picture, + Note-to-Self priority, e Note-to-Self expiry, M blinded
// message requests.

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

// ---------------------------------------------------------------------------------------------
// contacts: c → { <33-byte Session ID>: { n, N, p, q, a, A, b, +, @, !, e, E, j } }.

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

// ---------------------------------------------------------------------------------------------
// convo_info_volatile: 1 → { <33-byte Session ID>: { r last read (ms), u unread } } (communities,
// groups and legacy groups under o, g, C are kept as received).

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
