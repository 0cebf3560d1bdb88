import { EventEmitter } from "node:events";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  fromHex,
  fullEd25519SecretKey,
  randomBytesArray,
  toHex,
  verify,
} from "@session/crypto";
import type { Content, GroupUpdateMessage } from "@session/protocol";
import { ClientError } from "../errors.ts";
import type { Identity } from "../identity.ts";
import { type IncomingMessage, sealMessage } from "../messages.ts";
import { Group } from "./group.ts";
import { inviteSignatureMessage } from "./group-invite.ts";
import type { GroupMessage } from "./group-message.ts";
import type { GroupState } from "./group-state.ts";
import type { GroupNetwork } from "./group-swarm.ts";

export interface GroupInvitation {
  groupId: string;
  name: string;
  /** Who invited us (the 1:1 sender). */
  from: string;
  authData: Uint8Array;
}

/** The client surface groups use: swarm RPCs and the 1:1 message stream (for invitations). */
export interface GroupsClient extends GroupNetwork {
  on(event: "message", listener: (m: IncomingMessage) => void): unknown;
  push?: { subscribe(body: Record<string, unknown>): Promise<{ success: boolean }> };
  attachments?: {
    uploadRaw(bytes: Uint8Array): Promise<{ id: string; url: string }>;
    downloadRaw(id: string): Promise<Uint8Array>;
  };
}

const DM_TTL = 14 * 24 * 3600 * 1000;

/**
 * The closed groups of one account: creates groups, invites members through their 1:1 chats,
 * takes invitations and promotions from our own 1:1 messages, syncs and sends.
 *
 * @example
 * ```ts
 * import { Groups } from "@session/client";
 *
 * const groups = new Groups(client, me);
 * const group = await groups.create("Hikers"); // group.id is its 03… ID; we are its admin
 * await groups.invite(group.id, [bobId]);
 * await group.send("hi all");
 * for (const m of await groups.sync(group.id)) console.log(m);
 * ```
 */
export class Groups extends EventEmitter<{ invitation: [GroupInvitation]; promoted: [string] }> {
  private readonly groups = new Map<string, Group>();
  private readonly invitations = new Map<string, GroupInvitation>();

  constructor(
    private readonly client: GroupsClient,
    private readonly identity: Identity,
  ) {
    super();
    client.on("message", (m) => this.handleDirect(m));
  }

  /**
   * The groups this account is in (created, accepted or restored), in the order it joined them.
   *
   * @example
   * ```ts
   * for (const g of groups.list()) console.log(g.id, g.info().name, g.isAdmin ? "(admin)" : "");
   * ```
   */
  list(): Group[] {
    return [...this.groups.values()];
  }

  /**
   * Invitations received (as 1:1 messages) and neither accepted nor declined yet.
   *
   * @example
   * ```ts
   * await client.poll(); // invitations arrive as 1:1 messages
   * for (const inv of groups.pendingInvitations()) console.log(`${inv.from} invites us to "${inv.name}"`);
   * ```
   */
  pendingInvitations(): GroupInvitation[] {
    return [...this.invitations.values()];
  }

  /**
   * A group this account is in (the ID in any case); ClientError GROUP_NOT_FOUND when it is not.
   *
   * @example
   * ```ts
   * const group = groups.get(groupId);
   * await group.send("hello");
   * ```
   */
  get(groupId: string): Group {
    const g = this.groups.get(groupId.toLowerCase());
    if (!g) throw new ClientError("GROUP_NOT_FOUND", `not in group ${groupId}`);
    return g;
  }

  /**
   * A new group with a fresh Ed25519 key (its 03 ID); we are its admin.
   *
   * @example
   * ```ts
   * const group = await groups.create("Hikers", { adminName: "Alice" }); // BAD_GROUP_NAME when blank
   * console.log(group.id); // 03…
   * ```
   */
  async create(name: string, opts: { adminName?: string } = {}): Promise<Group> {
    if (!name.trim()) throw new ClientError("BAD_GROUP_NAME", "a group needs a name");
    const groupSk = fullEd25519SecretKey(randomBytesArray(32));
    const id = `03${toHex(groupSk.subarray(32))}`;
    const g = new Group(this.client, this.identity, { id, groupSk });
    await g.initialise(name, opts.adminName);
    this.groups.set(id, g);
    return g;
  }

  /**
   * Invites members (admins): adds them to the group and sends each an invitation 1:1.
   *
   * @example
   * ```ts
   * await groups.invite(groupId, [bobId]); // GROUP_FULL past 100 members; NOT_GROUP_ADMIN for members
   * ```
   */
  async invite(groupId: string, sessionIds: readonly string[]): Promise<void> {
    const g = this.get(groupId);
    const timestamp = this.client.now();
    const invites = await g.addMembers(sessionIds, timestamp);
    for (const inv of invites) await this.sendDirect(inv.sessionId, inv.update, timestamp);
  }

  /**
   * Promotes a member to admin (admins): marks it in the member list and sends it the group key 1:1.
   *
   * @example
   * ```ts
   * await groups.promote(groupId, bobId);
   * ```
   */
  async promote(groupId: string, sessionId: string): Promise<void> {
    const update = await this.get(groupId).promote(sessionId);
    await this.sendDirect(sessionId.toLowerCase(), update, this.client.now());
  }

  /**
   * Admins: removes members (their subaccounts are revoked on the group swarm and the key rotated, so
   * they cannot read later messages); NOT_GROUP_MEMBER for an ID that is not a member.
   *
   * @example
   * ```ts
   * await groups.remove(groupId, [bobId]);
   * ```
   */
  async remove(groupId: string, sessionIds: readonly string[]): Promise<void> {
    await this.get(groupId).remove(sessionIds);
  }

  /**
   * Accepts an invitation: joins with the subaccount it carries and tells the admins.
   *
   * @example
   * ```ts
   * groups.on("invitation", async (inv) => {
   *   const group = await groups.accept(inv.groupId);
   *   await group.send("thanks for the invite");
   * });
   * ```
   */
  async accept(groupId: string): Promise<Group> {
    const inv = this.invitations.get(groupId.toLowerCase());
    if (!inv) throw new ClientError("GROUP_NOT_FOUND", `no invitation to group ${groupId}`);
    const g = new Group(this.client, this.identity, { id: inv.groupId, authData: inv.authData });
    await g.sync();
    await g.acceptInvite();
    this.invitations.delete(inv.groupId);
    this.groups.set(inv.groupId, g);
    return g;
  }

  /**
   * Forgets an invitation without joining (nothing is sent); GROUP_NOT_FOUND when there is none.
   *
   * @example
   * ```ts
   * for (const inv of groups.pendingInvitations()) groups.decline(inv.groupId);
   * ```
   */
  decline(groupId: string): void {
    if (!this.invitations.delete(groupId.toLowerCase()))
      throw new ClientError("GROUP_NOT_FOUND", `no invitation to group ${groupId}`);
  }

  /**
   * Leaves: tells the admins (who remove us and rotate the key) and forgets the group.
   *
   * @example
   * ```ts
   * await groups.leave(groupId);
   * ```
   */
  async leave(groupId: string): Promise<void> {
    const g = this.get(groupId);
    await g.leave();
    this.groups.delete(g.id);
  }

  /**
   * Syncs every group (or one): returns their new messages.
   *
   * @example
   * ```ts
   * for (const m of await groups.sync()) console.log(m.groupId, m.from, m.text);
   * ```
   */
  async sync(groupId?: string): Promise<GroupMessage[]> {
    const out: GroupMessage[] = [];
    for (const g of groupId ? [this.get(groupId)] : this.list()) out.push(...(await g.sync()));
    return out;
  }

  /**
   * Admins: sets the group picture: encrypted with a new 32-byte key (AES-256-GCM, IV first, as
   * Session encrypts profile pictures), uploaded through the file server, URL and key put in the
   * group info (libsession p/q) for members to fetch with `picture()`.
   *
   * @example
   * ```ts
   * import { readFileSync } from "node:fs";
   *
   * await groups.setPicture(groupId, readFileSync("hikers.jpg"));
   * ```
   */
  async setPicture(groupId: string, image: Uint8Array): Promise<void> {
    const g = this.get(groupId);
    if (!g.isAdmin) throw new ClientError("NOT_GROUP_ADMIN", "only group admins can do this");
    if (!this.client.attachments) throw new ClientError("NETWORK_UNAVAILABLE", "no file server configured");
    const key = randomBytesArray(32);
    const { url } = await this.client.attachments.uploadRaw(aesGcmEncrypt(key, image));
    await g.setInfo({ picture: { url, key } });
  }

  /**
   * The group picture (downloaded and decrypted), or undefined when the group has none.
   *
   * @example
   * ```ts
   * import { writeFileSync } from "node:fs";
   *
   * const picture = await groups.picture(groupId);
   * if (picture) writeFileSync("group.jpg", picture);
   * ```
   */
  async picture(groupId: string): Promise<Uint8Array | undefined> {
    const p = this.get(groupId).info().picture;
    if (!p) return undefined;
    if (!this.client.attachments) throw new ClientError("NETWORK_UNAVAILABLE", "no file server configured");
    const id = p.url.split("/file/")[1];
    if (!id) throw new ClientError("REQUEST_FAILED", "the group picture URL is not a file server URL");
    return aesGcmDecrypt(p.key, await this.client.attachments.downloadRaw(id));
  }

  /**
   * Registers this device with the push server for a group's messages (through an onion path).
   *
   * @example
   * ```ts
   * const encKey = crypto.getRandomValues(new Uint8Array(32));
   * await groups.registerPush(groupId, { service: "firebase", token: deviceToken, encKey });
   * ```
   */
  async registerPush(
    groupId: string,
    reg: Parameters<Group["pushSubscription"]>[0],
  ): Promise<{ success: boolean }> {
    if (!this.client.push) throw new ClientError("NETWORK_UNAVAILABLE", "no push server configured");
    return this.client.push.subscribe(this.get(groupId).pushSubscription(reg));
  }

  /**
   * Saved state (per group: the admin seed or the subaccount; pending invitations).
   *
   * @example
   * ```ts
   * import { writeFileSync } from "node:fs";
   *
   * // holds group keys: keep it private
   * writeFileSync("groups.json", JSON.stringify(groups.state()), { mode: 0o600 });
   * ```
   */
  state(): {
    groups: GroupState[];
    invitations: { groupId: string; name: string; from: string; authData: string }[];
  } {
    return {
      groups: this.list().map((g) => g.state()),
      invitations: this.pendingInvitations().map((i) => ({ ...i, authData: toHex(i.authData) })),
    };
  }

  /**
   * Restores `state()` output (keys and configs as saved; the next sync fetches what is new).
   *
   * @example
   * ```ts
   * import { readFileSync } from "node:fs";
   *
   * import { Groups } from "@session/client";
   *
   * const groups = new Groups(client, me);
   * groups.restore(JSON.parse(readFileSync("groups.json", "utf8")));
   * await groups.sync();
   * ```
   */
  restore(state: ReturnType<Groups["state"]>): void {
    for (const s of state.groups) {
      const g = new Group(this.client, this.identity, {
        id: s.id,
        ...(s.adminSeed ? { groupSk: fullEd25519SecretKey(fromHex(s.adminSeed)) } : {}),
        ...(s.authData ? { authData: fromHex(s.authData) } : {}),
      });
      g.loadState(s);
      this.groups.set(s.id, g);
    }
    for (const i of state.invitations)
      this.invitations.set(i.groupId, { ...i, authData: fromHex(i.authData) });
  }

  private async sendDirect(to: string, update: GroupUpdateMessage, timestamp: number): Promise<void> {
    const content: Content = { dataMessage: { groupUpdateMessage: update } };
    const data = sealMessage(this.identity.keys.ed25519.secretKey, to, content, timestamp);
    const r = await this.client.swarmRpc(to, "store", {
      pubkey: to,
      namespace: 0,
      timestamp,
      ttl: DM_TTL,
      data,
    });
    if (r.status !== 200) throw new ClientError("REQUEST_FAILED", `store failed (${r.status})`, r.status);
  }

  /**
   * Invitations and promotions arrive as 1:1 messages; anything malformed is ignored.
   *
   * @example
   * ```ts
   * import { Groups } from "@session/client";
   *
   * const inbox = await client.poll(); // polled before `groups` listened to the client
   * const groups = new Groups(client, me);
   * for (const m of inbox) groups.handleDirect(m);
   * ```
   */
  handleDirect(m: IncomingMessage): void {
    const u = m.content.dataMessage?.groupUpdateMessage;
    if (!u) return;
    const inv = u.inviteMessage;
    if (inv) {
      const id = inv.groupSessionId.toLowerCase();
      if (!/^03[0-9a-f]{64}$/.test(id) || inv.memberAuthData.length !== 100) return;
      const sigOk = verify(
        inv.adminSignature,
        inviteSignatureMessage(this.identity.sessionId, m.timestamp),
        fromHex(id.slice(2)),
      );
      if (!sigOk || this.groups.has(id)) return;
      const invitation = { groupId: id, name: inv.name, from: m.from, authData: inv.memberAuthData };
      this.invitations.set(id, invitation);
      this.emit("invitation", invitation);
      return;
    }
    const promo = u.promoteMessage;
    if (promo && promo.groupIdentitySeed.length === 32) {
      const sk = fullEd25519SecretKey(promo.groupIdentitySeed);
      const g = this.groups.get(`03${toHex(sk.subarray(32))}`);
      if (!g) return;
      g.becomeAdmin(sk);
      this.emit("promoted", g.id);
    }
  }
}
