import { fromHex, sign, toHex, verify } from "@session/crypto";
import { bin, binToBytes, bytesToBin, truncateUtf8, unbin } from "../config/bt.ts";
import type { ConfigDict } from "../config/config-data.ts";
import { SyncedConfig } from "../config/synced-config.ts";
import { ProtocolError } from "../errors.ts";
import { Namespace } from "../namespaces.ts";

/*
 * A group's info (namespace 13, domain "groups::Info") and member list (namespace 14, domain
 * "groups::Members") are libsession config messages signed by the group key, prefix-padded and
 * encrypted with the newest group key (src/config/base.cpp push/merge). Readers try every key
 * they hold; admins merge concurrent versions and push the merge.
 */

export const GROUP_MAX_MEMBERS = 100;

export class GroupConfig extends SyncedConfig {
  constructor(
    override readonly domain: "groups::Info" | "groups::Members",
    namespace: number,
    groupPk: Uint8Array,
    groupSk?: Uint8Array,
  ) {
    super(domain, namespace, {
      verifier: (data, sig) => verify(sig, data, groupPk),
      ...(groupSk ? { signer: (data: Uint8Array) => sign(data, groupSk) } : {}),
    });
  }

  /** Gives admin rights (after a promotion): later changes are signed. */
  setSigner(groupSk: Uint8Array): void {
    this.opts.signer = (data) => sign(data, groupSk);
    this.current.signer = this.opts.signer;
  }

  /**
   * Applies a change (admins only: the result must be signed by the group key). Always takes a
   * new seqno: a key rotation re-pushes the configs under the new key this way.
   */
  override edit(fn: (data: ConfigDict) => void): boolean {
    if (!this.opts.signer) throw new ProtocolError("FORBIDDEN", "only admins can change the group");
    return super.edit(fn, true);
  }

  protected override canPush(): boolean {
    return this.opts.signer !== undefined;
  }
}

export interface GroupInfo {
  name?: string;
  description?: string;
  /** Disappearing-after-send timer (seconds); absent when off. */
  disappearSeconds?: number;
  picture?: { url: string; key: Uint8Array };
  created?: number;
  destroyed?: boolean;
}

/** Reads libsession info keys (n, o, E, p/q, c, !). */
export function readInfo(d: ConfigDict): GroupInfo {
  const out: GroupInfo = {};
  if (typeof d.n === "string" && d.n) out.name = unbin(d.n);
  if (typeof d.o === "string" && d.o) out.description = unbin(d.o);
  if (typeof d.E === "number" && d.E > 0) out.disappearSeconds = d.E;
  if (typeof d.p === "string" && typeof d.q === "string" && d.q.length === 32)
    out.picture = { url: unbin(d.p), key: binToBytes(d.q) };
  if (typeof d.c === "number") out.created = d.c;
  if (typeof d["!"] === "number" && d["!"] > 0) out.destroyed = true;
  return out;
}

/** Writes libsession info keys; undefined removes a value. Names are capped as libsession caps them. */
export function writeInfo(d: ConfigDict, info: Partial<GroupInfo>): void {
  if ("name" in info) {
    if (info.name) d.n = bin(truncateUtf8(info.name, 100));
    else delete d.n;
  }
  if ("description" in info) {
    if (info.description) d.o = bin(truncateUtf8(info.description, 2000));
    else delete d.o;
  }
  if ("disappearSeconds" in info) {
    if (info.disappearSeconds && info.disappearSeconds > 0) d.E = info.disappearSeconds;
    else delete d.E;
  }
  if ("picture" in info) {
    if (info.picture && info.picture.key.length === 32) {
      d.p = bin(info.picture.url);
      d.q = bytesToBin(info.picture.key);
    } else {
      delete d.p;
      delete d.q;
    }
  }
  if (info.created !== undefined) d.c = info.created;
  if (info.destroyed) d["!"] = 1;
}

export interface GroupMember {
  sessionId: string;
  name: string;
  admin: boolean;
  /** 1 sent, 2 failed, 3 not sent yet; absent once accepted. */
  inviteStatus?: number;
  promotionStatus?: number;
  /** The invite came with supplemental keys (history shared). */
  supplement?: boolean;
  removedStatus?: number;
}

/** libsession members: m → { <33-byte id>: { n, A, I, P, s, R } }. */
export function readMembers(d: ConfigDict): GroupMember[] {
  const m = d.m;
  if (typeof m !== "object" || Array.isArray(m)) return [];
  const out: GroupMember[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (k.length !== 33 || typeof v !== "object" || Array.isArray(v)) continue;
    const g: GroupMember = {
      sessionId: toHex(binToBytes(k)),
      name: typeof v.n === "string" ? unbin(v.n) : "",
      admin: v.A === 1,
    };
    if (!g.admin && typeof v.I === "number" && v.I > 0) g.inviteStatus = v.I;
    if (typeof v.P === "number" && v.P > 0) g.promotionStatus = v.P;
    if (v.s === 1 && g.inviteStatus) g.supplement = true;
    if (typeof v.R === "number" && v.R > 0) g.removedStatus = v.R;
    out.push(g);
  }
  return out.sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
}

export function writeMember(d: ConfigDict, m: GroupMember): void {
  if (!/^05[0-9a-f]{64}$/.test(m.sessionId))
    throw new ProtocolError("BAD_REQUEST", "members must be 05 Session IDs");
  let all = d.m;
  if (typeof all !== "object" || Array.isArray(all)) {
    all = Object.create(null) as ConfigDict;
    d.m = all;
  }
  const e: ConfigDict = Object.create(null);
  // n is always set so the member's dict is never pruned away.
  e.n = bin(truncateUtf8(m.name, 100));
  if (m.admin) e.A = 1;
  if (m.promotionStatus) e.P = m.promotionStatus;
  if (!m.admin && m.inviteStatus) {
    e.I = m.inviteStatus;
    if (m.supplement) e.s = 1;
  }
  if (m.removedStatus) e.R = m.removedStatus;
  all[bytesToBin(fromHex(m.sessionId))] = e;
}

export function removeMember(d: ConfigDict, sessionId: string): void {
  const all = d.m;
  if (typeof all === "object" && !Array.isArray(all)) delete all[bytesToBin(fromHex(sessionId))];
}

export const GroupNamespace = {
  Messages: Namespace.GroupMessages,
  Keys: Namespace.GroupKeys,
  Info: Namespace.GroupInfo,
  Members: Namespace.GroupMembers,
} as const;
