import { fromHex, toHex } from "@session/crypto";
import {
  type Content,
  type GroupUpdateMessage,
  type ParamsSigner,
  TTL_MAXIMUM_PRIVATE_MS,
} from "@session/protocol";
// The group config's accessors, read through the namespace (group.ts uses most of them).
import * as groupConfig from "@session/protocol/groups";
import {
  GroupConfig,
  type GroupInfo,
  GroupKeys,
  type GroupMember,
  GroupNamespace,
} from "@session/protocol/groups";
import { type AttachmentRef, toPointer } from "../attachments.ts";
import { ClientError } from "../errors.ts";
import type { Identity } from "../identity.ts";
import { groupInvitation, invitees } from "./group-invite.ts";
import {
  applyDisappearing,
  encryptForGroup,
  type GroupMessage,
  type GroupSendOptions,
  groupEnvelope,
} from "./group-message.ts";
import { type GroupPushRegistration, groupPushSubscription } from "./group-push.ts";
import { type GroupState, loadGroupState, saveGroupState } from "./group-state.ts";
import { type GroupNetwork, GroupSwarm } from "./group-swarm.ts";
import { applyRetrieved } from "./group-sync.ts";

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
  private readonly seen = new Set<string>();
  private readonly swarm: GroupSwarm;

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
    this.swarm = new GroupSwarm(
      net,
      this.id,
      () => ({ groupSk: this.groupSk, authData: this.authData }),
      identity.keys.ed25519.secretKey,
    );
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

  /**
   * Whether this account holds the group key (it created the group or was promoted).
   *
   * @example
   * ```ts
   * const group = groups.get(groupId);
   * if (group.isAdmin) await group.setInfo({ description: "weekend walks" });
   * ```
   */
  get isAdmin(): boolean {
    return this.groupSk !== undefined;
  }

  /**
   * This group's saved state (the admin seed or our subaccount, the keys held, the last configs);
   * `Groups.state()` collects it for every group.
   *
   * @example
   * ```ts
   * const saved = groups.get(groupId).state(); // secret keys: store it privately
   * console.log(saved.id);
   * ```
   */
  state(): GroupState {
    return saveGroupState(this.id, { authData: this.authData, groupSk: this.groupSk }, this);
  }

  /** Loads the keys and configs of a saved `state()`. */
  loadState(s: GroupState): void {
    loadGroupState(this, s);
  }

  /**
   * The group's info as last synced (name, description, disappearing timer, picture).
   *
   * @example
   * ```ts
   * await groups.sync(groupId);
   * const { name, description } = groups.get(groupId).info();
   * ```
   */
  info(): GroupInfo {
    return groupConfig.readInfo(this.infoConfig.data);
  }

  /**
   * The member list as last synced (removed members included, with their `removedStatus`).
   *
   * @example
   * ```ts
   * for (const m of groups.get(groupId).members()) console.log(m.sessionId, m.name, m.admin ? "admin" : "");
   * ```
   */
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

  /** The signer of our group requests as things stand (the group key once promoted). */
  private signer(): ParamsSigner {
    return this.swarm.signer();
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
      await this.swarm.store(c.namespace, c.push(key), TTL_MAXIMUM_PRIVATE_MS);
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
    await this.swarm.store(GroupNamespace.Keys, this.keys.rekey([me]), TTL_MAXIMUM_PRIVATE_MS);
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
    const ids = invitees(sessionIds, () => this.activeMembers().map((m) => m.sessionId));
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
    await this.swarm.store(GroupNamespace.Keys, this.keys.supplement(ids), TTL_MAXIMUM_PRIVATE_MS);
    await this.pushConfigs();
    const name = this.info().name ?? "";
    return ids.map((sid) => ({
      sessionId: sid,
      update: groupInvitation(gsk, this.id, name, sid, timestamp),
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
   *
   * @example
   * ```ts
   * await groups.get(groupId).remove([bobId]); // NOT_GROUP_MEMBER when bob is not in the group
   * ```
   */
  async remove(sessionIds: readonly string[]): Promise<void> {
    const gsk = this.requireAdmin();
    const ids = sessionIds.map((s) => s.toLowerCase());
    for (const id of ids) {
      if (!this.members().some((m) => m.sessionId === id))
        throw new ClientError("NOT_GROUP_MEMBER", `${id} is not a member of this group`);
    }
    await this.swarm.revoke(gsk, ids);
    this.membersConfig.edit((d) => {
      for (const id of ids) groupConfig.removeMember(d, id);
    });
    await this.rotate();
  }

  /**
   * Admins: a new key for the current members (also pushes the configs under it).
   *
   * @example
   * ```ts
   * await groups.get(groupId).rotate(); // NOT_GROUP_ADMIN for members
   * ```
   */
  async rotate(): Promise<void> {
    this.requireAdmin();
    const ids = this.activeMembers().map((m) => m.sessionId);
    await this.swarm.store(GroupNamespace.Keys, this.keys.rekey(ids), TTL_MAXIMUM_PRIVATE_MS);
    this.infoConfig.edit(() => {});
    this.membersConfig.edit(() => {});
    await this.pushConfigs();
  }

  /**
   * Admins: changes the group's info (name, description, disappearing timer, picture).
   *
   * @example
   * ```ts
   * await groups.get(groupId).setInfo({ name: "Hikers 2027", disappearSeconds: 24 * 3600 });
   * ```
   */
  async setInfo(info: Partial<GroupInfo>): Promise<void> {
    this.requireAdmin();
    this.infoConfig.edit((d) => groupConfig.writeInfo(d, info));
    await this.pushConfigs();
  }

  /**
   * Sends a message once to the group swarm, encrypted with the current group key.
   *
   * @example
   * ```ts
   * const group = groups.get(groupId);
   * const { hash } = await group.send("see you at 8", { disappear: { type: "after-send", seconds: 3600 } });
   * ```
   */
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

  /**
   * Sends any Content (e.g. a reaction or a group update) as `send` sends text.
   *
   * @example
   * ```ts
   * await groups.get(groupId).sendContent({ dataMessage: { body: "hi", profile: { displayName: "Alice" } } });
   * ```
   */
  async sendContent(
    content: Content,
    opts: GroupSendOptions = {},
  ): Promise<{ hash: string; timestamp: number }> {
    const timestamp = this.net.now();
    const ttl = applyDisappearing(content, opts, this.info());
    const envelope = groupEnvelope(this.id, content, timestamp);
    const data = encryptForGroup(this.keys, this.identity.keys.ed25519.secretKey, envelope);
    return this.swarm.store(GroupNamespace.Messages, data, ttl, timestamp);
  }

  /**
   * Sets the expiry of group messages (e.g. after-read timers); admins only on the swarm.
   *
   * @example
   * ```ts
   * const group = groups.get(groupId);
   * const sent = await group.send("read me once");
   * await group.expire([sent.hash], client.now() + 60_000);
   * ```
   */
  async expire(hashes: string[], expiry: number): Promise<void> {
    await this.swarm.expire(hashes, expiry);
  }

  /**
   * Fetches keys, configs and messages from the group swarm: loads new keys first (so configs
   * and messages under a rotated key open), merges the configs, returns new messages. Admins push
   * merged configs and handle members' accept and leave messages.
   *
   * @example
   * ```ts
   * for (const m of await groups.get(groupId).sync()) console.log(m.from, m.text);
   * ```
   */
  async sync(): Promise<GroupMessage[]> {
    const got = await this.swarm.retrieve([
      GroupNamespace.Keys,
      GroupNamespace.Info,
      GroupNamespace.Members,
      GroupNamespace.Messages,
    ]);
    const { messages, leavers, accepted } = applyRetrieved(this, this.seen, got);
    if (this.isAdmin) {
      if (leavers.length) await this.remove([...new Set(leavers)]);
      else if (accepted || this.infoConfig.needsPush || this.membersConfig.needsPush)
        await this.pushConfigs();
    }
    return messages;
  }

  /**
   * A push server `/subscribe` body for this group's messages (namespace 11 by default), signed
   * "MONITOR" ‖ group ID ‖ sig_ts ‖ data flag ‖ namespaces with the group key (admins) or our
   * subaccount (members): the push server then notifies this device of group messages.
   *
   * @example
   * ```ts
   * const encKey = crypto.getRandomValues(new Uint8Array(32));
   * const body = groups.get(groupId).pushSubscription({ service: "firebase", token: deviceToken, encKey });
   * await client.push.subscribe(body); // or simply groups.registerPush(groupId, …)
   * ```
   */
  pushSubscription(reg: GroupPushRegistration): Record<string, unknown> {
    return groupPushSubscription(
      this.id,
      reg,
      () => this.net.now(),
      () => this.signer(),
    );
  }

  /** Members: tells the admins we accept the invitation (they clear our invite status). */
  async acceptInvite(): Promise<void> {
    await this.sendContent({ dataMessage: { groupUpdateMessage: { inviteResponse: { isApproved: true } } } });
  }

  /** Members: tells the admins we leave (an admin removes us and rotates the key). */
  async leave(): Promise<void> {
    await this.sendContent({ dataMessage: { groupUpdateMessage: { memberLeftMessage: {} } } });
  }

  /**
   * Generations of the keys held, newest first.
   *
   * @example
   * ```ts
   * const [current] = groups.get(groupId).keyGenerations(); // newest first: grows with each rotation
   * ```
   */
  keyGenerations(): number[] {
    return this.keys.all().map((k) => k.generation);
  }
}
