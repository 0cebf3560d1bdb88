import {
  fromBase64,
  fromHex,
  groupSubaccountSign,
  groupSubaccountToken,
  makeGroupSubaccount,
  sign,
  toBase64,
  toHex,
} from "@session/crypto";
import {
  type Content,
  EnvelopeType,
  ExpirationType,
  encodeEnvelope,
  type GroupUpdateMessage,
  type NodeInfo,
  type ParamsSigner,
  signRpcParams,
  TTL_MAXIMUM_PRIVATE_MS,
} from "@session/protocol";
import * as groupConfig from "@session/protocol/groups";
import {
  encryptGroupMessage,
  GROUP_MAX_MEMBERS,
  GroupConfig,
  type GroupInfo,
  GroupKeys,
  type GroupMember,
  GroupNamespace,
} from "@session/protocol/groups";
import { type AttachmentRef, toPointer } from "../attachments.ts";
import { ClientError } from "../errors.ts";
import type { Identity } from "../identity.ts";
import type { IncomingMessage } from "../messages.ts";
import { expirationOf, padContent } from "../messages.ts";
import type { RpcReply } from "../network/transport.ts";
import type { PushRegistration } from "../push.ts";
import { openGroupMessage, requestFailed, retrieveAll } from "./group-retrieve.ts";

/**
 * What a group needs from the client: swarm RPCs (through onion paths) and network time (this
 * device's clock corrected by the offset learnt from nodes) for everything it signs or stamps.
 */
export interface GroupNetwork {
  now(): number;
  swarmRpc(
    account: string,
    method: string,
    params: Record<string, unknown> | ((dest: NodeInfo) => unknown),
  ): Promise<RpcReply & { node: NodeInfo }>;
}

export interface GroupMessage extends Omit<IncomingMessage, "isRequest"> {
  groupId: string;
}

export interface GroupSendOptions {
  ttlMs?: number;
  disappear?: { type: "after-send" | "after-read"; seconds: number };
}

/**
 * What an account keeps of a group between runs: its credentials (the subaccount value or the
 * admin seed), the keys it holds (so messages stay readable after the swarm's key messages
 * expire) and the last info and member configs (hex; verified again when loaded).
 */
export interface GroupState {
  id: string;
  /** 100-byte libsession subaccount value (members). */
  authData?: string;
  /** 32-byte group seed (admins). */
  adminSeed?: string;
  keys?: { generation: number; key: string; timestamp: number }[];
  info?: { message: string; needsPush: boolean };
  members?: { message: string; needsPush: boolean };
}

const MESSAGE_TTL = 14 * 24 * 3600 * 1000;

/**
 * One closed group as one account sees it: the group's keys (ns 12), info (ns 13) and members
 * (ns 14) synced from its swarm, and its messages (ns 11) sent once to that swarm. Members sign
 * their requests with the subaccount an admin gave them; admins sign with the group key.
 */
export class Group {
  readonly id: string;
  readonly pubkey: Uint8Array;
  readonly keys: GroupKeys;
  readonly infoConfig: GroupConfig;
  readonly membersConfig: GroupConfig;
  private groupSk: Uint8Array | undefined;
  private readonly lastHash = new Map<string, string>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly net: GroupNetwork,
    private readonly identity: Identity,
    state: { id: string; groupSk?: Uint8Array; authData?: Uint8Array },
  ) {
    if (!/^03[0-9a-f]{64}$/.test(state.id))
      throw new ClientError("BAD_RECIPIENT", "a group ID is 03 followed by 64 hex characters");
    this.id = state.id;
    this.pubkey = fromHex(state.id.slice(2));
    this.groupSk = state.groupSk;
    this.authData = state.authData;
    this.keys = new GroupKeys(this.pubkey, identity.keys.ed25519.secretKey, state.groupSk);
    this.infoConfig = new GroupConfig("groups::Info", GroupNamespace.Info, this.pubkey, state.groupSk);
    this.membersConfig = new GroupConfig(
      "groups::Members",
      GroupNamespace.Members,
      this.pubkey,
      state.groupSk,
    );
  }

  authData: Uint8Array | undefined;

  get isAdmin(): boolean {
    return this.groupSk !== undefined;
  }

  state(): GroupState {
    const info = this.infoConfig.dump();
    const members = this.membersConfig.dump();
    return {
      id: this.id,
      ...(this.authData ? { authData: toHex(this.authData) } : {}),
      ...(this.groupSk ? { adminSeed: toHex(this.groupSk.subarray(0, 32)) } : {}),
      keys: this.keys.export(),
      ...(info ? { info: { message: toHex(info.message), needsPush: info.needsPush } } : {}),
      ...(members ? { members: { message: toHex(members.message), needsPush: members.needsPush } } : {}),
    };
  }

  /** Loads the keys and configs of a saved `state()`. */
  loadState(s: GroupState): void {
    if (s.keys) this.keys.import(s.keys);
    if (s.info) this.infoConfig.load({ message: fromHex(s.info.message), needsPush: s.info.needsPush });
    if (s.members)
      this.membersConfig.load({ message: fromHex(s.members.message), needsPush: s.members.needsPush });
  }

  info(): GroupInfo {
    return groupConfig.readInfo(this.infoConfig.data);
  }

  members(): GroupMember[] {
    return groupConfig.readMembers(this.membersConfig.data);
  }

  /** Promoted: the group's secret key makes this account an admin. */
  becomeAdmin(groupSk: Uint8Array): void {
    if (toHex(groupSk.subarray(32)) !== toHex(this.pubkey))
      throw new ClientError("BAD_INVITATION", "the promotion's key is not this group's key");
    this.groupSk = groupSk;
    this.keys.groupSk = groupSk;
    this.infoConfig.setSigner(groupSk);
    this.membersConfig.setSigner(groupSk);
  }

  private signer(): ParamsSigner {
    const gsk = this.groupSk;
    if (gsk) return { sign: (m) => sign(m, gsk) };
    const auth = this.authData;
    if (!auth) throw new ClientError("NOT_GROUP_MEMBER", "no credentials for this group");
    const userSk = this.identity.keys.ed25519.secretKey;
    const probe = groupSubaccountSign(userSk, auth, new Uint8Array(0));
    return {
      sign: (m) => groupSubaccountSign(userSk, auth, m).signature,
      subaccount: { token: probe.token, signature: probe.tokenSignature },
    };
  }

  private async store(namespace: number, data: Uint8Array, ttl: number, timestamp = this.net.now()) {
    const params = signRpcParams(
      "store",
      { pubkey: this.id, namespace, timestamp, ttl, data: toBase64(data) },
      this.signer(),
    );
    const r = await this.net.swarmRpc(this.id, "store", params);
    if (r.status !== 200) throw requestFailed("group store", r);
    return { hash: (r.body as { hash: string }).hash, timestamp };
  }

  private requireAdmin(): Uint8Array {
    if (!this.groupSk) throw new ClientError("NOT_GROUP_ADMIN", "only group admins can do this");
    return this.groupSk;
  }

  /** Stores pending config changes (admins), encrypted with the newest key. */
  async pushConfigs(): Promise<void> {
    if (!this.isAdmin) return;
    const key = this.keys.current().key;
    for (const c of [this.infoConfig, this.membersConfig]) {
      if (!c.needsPush) continue;
      await this.store(c.namespace, c.push(key), TTL_MAXIMUM_PRIVATE_MS);
      c.pushed();
    }
  }

  /** Admins: first key and configs of a new group (called by `Groups.create`). */
  async initialise(name: string, adminName = ""): Promise<void> {
    this.requireAdmin();
    const me = this.identity.sessionId;
    this.infoConfig.edit((d) =>
      groupConfig.writeInfo(d, { name, created: Math.floor(this.net.now() / 1000) }),
    );
    this.membersConfig.edit((d) =>
      groupConfig.writeMember(d, { sessionId: me, name: adminName, admin: true }),
    );
    await this.store(GroupNamespace.Keys, this.keys.rekey([me]), TTL_MAXIMUM_PRIVATE_MS);
    await this.pushConfigs();
  }

  private activeMembers(): GroupMember[] {
    return this.members().filter((m) => !m.removedStatus);
  }

  /**
   * Admins: adds members to the list, gives them the current keys (one supplemental-keys
   * message, so they read from their join point) and returns each one's invitation for its 1:1
   * chat, signed for `timestamp` (the 1:1 message's). GROUP_FULL beyond 100 members.
   */
  async addMembers(
    sessionIds: readonly string[],
    timestamp: number,
  ): Promise<{ sessionId: string; update: GroupUpdateMessage }[]> {
    const gsk = this.requireAdmin();
    const ids = [...new Set(sessionIds.map((s) => s.toLowerCase()))];
    for (const sid of ids)
      if (!/^05[0-9a-f]{64}$/.test(sid))
        throw new ClientError("BAD_RECIPIENT", "members must be 05 Session IDs");
    const current = new Set(this.activeMembers().map((m) => m.sessionId));
    const added = ids.filter((s) => !current.has(s));
    if (current.size + added.length > GROUP_MAX_MEMBERS)
      throw new ClientError(
        "GROUP_FULL",
        `a group has at most ${GROUP_MAX_MEMBERS} members (it has ${current.size}, ${added.length} more invited)`,
      );
    this.membersConfig.edit((d) => {
      for (const sid of ids)
        groupConfig.writeMember(d, {
          sessionId: sid,
          name: "",
          admin: false,
          inviteStatus: 1,
          supplement: true,
        });
    });
    await this.store(GroupNamespace.Keys, this.keys.supplement(ids), TTL_MAXIMUM_PRIVATE_MS);
    await this.pushConfigs();
    const name = this.info().name ?? "";
    return ids.map((sid) => ({
      sessionId: sid,
      update: {
        inviteMessage: {
          groupSessionId: this.id,
          name,
          memberAuthData: makeGroupSubaccount(gsk, fromHex(sid.slice(2)), { write: true }),
          // session-desktop: the group key signs "INVITE" ‖ invitee ‖ timestamp.
          adminSignature: sign(inviteSignatureMessage(sid, timestamp), gsk),
        },
      },
    }));
  }

  /** Admins: marks a member admin and returns the promotion (the group seed) for its 1:1 chat. */
  async promote(sessionId: string): Promise<GroupUpdateMessage> {
    const gsk = this.requireAdmin();
    const m = this.members().find((x) => x.sessionId === sessionId.toLowerCase());
    if (!m) throw new ClientError("NOT_GROUP_MEMBER", "not a member of this group");
    this.membersConfig.edit((d) => groupConfig.writeMember(d, { ...m, admin: true, promotionStatus: 1 }));
    await this.pushConfigs();
    return { promoteMessage: { groupIdentitySeed: gsk.slice(0, 32), name: this.info().name ?? "" } };
  }

  /**
   * Admins: removes members: their subaccount tokens are revoked on the group swarm, a new key is
   * issued to the others only, and the configs are re-encrypted with it.
   */
  async remove(sessionIds: readonly string[]): Promise<void> {
    const gsk = this.requireAdmin();
    const ids = sessionIds.map((s) => s.toLowerCase());
    for (const id of ids) {
      if (!this.members().some((m) => m.sessionId === id))
        throw new ClientError("NOT_GROUP_MEMBER", `${id} is not a member of this group`);
    }
    const tokens = ids.map((id) => groupSubaccountToken(gsk, fromHex(id.slice(2)), { write: true }));
    const timestamp = this.net.now();
    const revoke = signRpcParams(
      "revoke_subaccount",
      { pubkey: this.id, revoke: tokens.map(toBase64), timestamp },
      { sign: (m) => sign(m, gsk) },
    );
    const r = await this.net.swarmRpc(this.id, "revoke_subaccount", revoke);
    if (r.status !== 200) throw requestFailed("revoke_subaccount", r);
    this.membersConfig.edit((d) => {
      for (const id of ids) groupConfig.removeMember(d, id);
    });
    await this.rotate();
  }

  /** Admins: a new key for the current members (also pushes the configs under it). */
  async rotate(): Promise<void> {
    this.requireAdmin();
    const ids = this.activeMembers().map((m) => m.sessionId);
    await this.store(GroupNamespace.Keys, this.keys.rekey(ids), TTL_MAXIMUM_PRIVATE_MS);
    this.infoConfig.edit(() => {});
    this.membersConfig.edit(() => {});
    await this.pushConfigs();
  }

  /** Admins: changes the group's info (name, description, disappearing timer, picture). */
  async setInfo(info: Partial<GroupInfo>): Promise<void> {
    this.requireAdmin();
    this.infoConfig.edit((d) => groupConfig.writeInfo(d, info));
    await this.pushConfigs();
  }

  /** Sends a message once to the group swarm, encrypted with the current group key. */
  async send(
    text: string,
    opts: GroupSendOptions = {},
    files: AttachmentRef[] = [],
  ): Promise<{ hash: string; timestamp: number }> {
    const content: Content = {
      dataMessage: { body: text, ...(files.length ? { attachments: files.map(toPointer) } : {}) },
    };
    return this.sendContent(content, opts);
  }

  async sendContent(
    content: Content,
    opts: GroupSendOptions = {},
  ): Promise<{ hash: string; timestamp: number }> {
    const timestamp = this.net.now();
    let ttl = opts.ttlMs ?? MESSAGE_TTL;
    const disappear = opts.disappear ?? groupDefaultDisappear(this.info());
    if (disappear) {
      content.expirationType =
        disappear.type === "after-read" ? ExpirationType.DELETE_AFTER_READ : ExpirationType.DELETE_AFTER_SEND;
      content.expirationTimer = disappear.seconds;
      if (disappear.type === "after-send") ttl = Math.max(10_000, disappear.seconds * 1000);
    }
    const envelope = encodeEnvelope({
      type: EnvelopeType.CLOSED_GROUP_MESSAGE,
      source: this.id,
      timestamp,
      content: padContent(content),
    });
    let key: Uint8Array;
    try {
      key = this.keys.current().key;
    } catch (cause) {
      throw new ClientError("NOT_GROUP_MEMBER", "no group key yet: sync the group first", undefined, {
        cause,
      });
    }
    const data = encryptGroupMessage(this.identity.keys.ed25519.secretKey, key, envelope);
    return this.store(GroupNamespace.Messages, data, ttl, timestamp);
  }

  /** Sets the expiry of group messages (e.g. after-read timers); admins only on the swarm. */
  async expire(hashes: string[], expiry: number): Promise<void> {
    const params = signRpcParams("expire", { pubkey: this.id, messages: hashes, expiry }, this.signer());
    const r = await this.net.swarmRpc(this.id, "expire", params);
    if (r.status !== 200) throw requestFailed("expire", r);
  }

  /**
   * Fetches keys, configs and messages from the group swarm: loads new keys first (so configs
   * and messages under a rotated key open), merges the configs, returns new messages. Admins push
   * merged configs and handle members' accept and leave messages.
   */
  async sync(): Promise<GroupMessage[]> {
    const got = await retrieveAll(
      { net: this.net, id: this.id, signer: () => this.signer(), lastHash: this.lastHash },
      [GroupNamespace.Keys, GroupNamespace.Info, GroupNamespace.Members, GroupNamespace.Messages],
    );
    for (const m of got.get(GroupNamespace.Keys)!) {
      if (this.seen.has(m.hash)) continue;
      this.seen.add(m.hash);
      this.keys.load(fromBase64(m.data), m.timestamp);
    }
    const keys = this.keys.all().map((k) => k.key);
    for (const [ns, conf] of [
      [GroupNamespace.Info, this.infoConfig],
      [GroupNamespace.Members, this.membersConfig],
    ] as const) {
      const fresh = got.get(ns)!.filter((m) => !this.seen.has(m.hash));
      for (const m of fresh) this.seen.add(m.hash);
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
      if (this.seen.has(m.hash)) continue;
      this.seen.add(m.hash);
      // Not for a key we hold (e.g. sent after our removal), or not decodable: skipped.
      const opened = openGroupMessage(keys, m.data);
      if (!opened) continue;
      const { content, timestamp } = opened;
      const update = content.dataMessage?.groupUpdateMessage;
      if (update?.inviteResponse?.isApproved && this.isAdmin) {
        const mem = this.members().find((x) => x.sessionId === opened.sender);
        if (mem?.inviteStatus) {
          this.membersConfig.edit((d) => {
            const { inviteStatus: _i, supplement: _s, ...rest } = mem;
            groupConfig.writeMember(d, rest);
          });
          accepted = true;
        }
        continue;
      }
      if (update?.memberLeftMessage) {
        if (this.isAdmin && this.members().some((x) => x.sessionId === opened.sender))
          leavers.push(opened.sender);
        continue;
      }
      if (update) continue;
      const msg: GroupMessage = {
        hash: m.hash,
        groupId: this.id,
        from: opened.sender,
        text: content.dataMessage?.body,
        timestamp,
        content,
      };
      const exp = expirationOf(content);
      if (exp) msg.expiration = exp;
      out.push(msg);
    }
    if (this.isAdmin) {
      if (leavers.length) await this.remove([...new Set(leavers)]);
      else if (accepted || this.infoConfig.needsPush || this.membersConfig.needsPush)
        await this.pushConfigs();
    }
    return out;
  }

  /**
   * A push server `/subscribe` body for this group's messages (namespace 11 by default), signed
   * "MONITOR" ‖ group ID ‖ sig_ts ‖ data flag ‖ namespaces with the group key (admins) or our
   * subaccount (members): the push server then notifies this device of group messages.
   */
  pushSubscription(
    reg: Omit<PushRegistration, "namespaces"> & { namespaces?: number[] },
  ): Record<string, unknown> {
    const namespaces = [...(reg.namespaces ?? [GroupNamespace.Messages])].sort((a, b) => a - b);
    const sigTs = Math.floor(this.net.now() / 1000);
    const signer = this.signer();
    const msg = `MONITOR${this.id}${sigTs}${reg.data ? "1" : "0"}${namespaces.join(",")}`;
    return {
      pubkey: this.id,
      ...(signer.subaccount
        ? { subaccount: toHex(signer.subaccount.token), subaccount_sig: toHex(signer.subaccount.signature) }
        : {}),
      namespaces,
      data: reg.data ?? false,
      sig_ts: sigTs,
      signature: toHex(signer.sign(new TextEncoder().encode(msg))),
      service: reg.service,
      service_info: { token: reg.token },
      enc_key: toHex(reg.encKey),
    };
  }

  /** Members: tells the admins we accept the invitation (they clear our invite status). */
  async acceptInvite(): Promise<void> {
    await this.sendContent({ dataMessage: { groupUpdateMessage: { inviteResponse: { isApproved: true } } } });
  }

  /** Members: tells the admins we leave (an admin removes us and rotates the key). */
  async leave(): Promise<void> {
    await this.sendContent({ dataMessage: { groupUpdateMessage: { memberLeftMessage: {} } } });
  }

  /** Generations of the keys held, newest first. */
  keyGenerations(): number[] {
    return this.keys.all().map((k) => k.generation);
  }
}

function groupDefaultDisappear(info: GroupInfo): GroupSendOptions["disappear"] {
  return info.disappearSeconds ? { type: "after-send", seconds: info.disappearSeconds } : undefined;
}

/** What an invitation's admin signature covers: "INVITE" ‖ invitee Session ID ‖ timestamp. */
export function inviteSignatureMessage(invitee: string, timestamp: number): Uint8Array {
  return new TextEncoder().encode(`INVITE${invitee}${timestamp}`);
}
