import { EventEmitter } from "node:events";
import type { NodeInfo } from "@session/protocol";
import type { AttachmentRef, Attachments } from "./attachments.ts";
import {
  acceptRequest,
  type ContactPatch,
  type ContactsContext,
  contactChanged,
  setBlocked,
} from "./client-contacts.ts";
import { type ClientStats, connectNetwork, type SwarmNetwork, signerOf, swarmRpc } from "./client-network.ts";
import {
  DEFAULT_TTL,
  type SendOptions,
  type SentMessage,
  type SessionClientOptions,
} from "./client-options.ts";
import { deleteOwnMessages, expireOwnMessages } from "./client-own-messages.ts";
import { messageStream, PollLoop } from "./client-poll-loop.ts";
import { profilePicture, readProfile, setProfile } from "./client-profile.ts";
import { pollOnce } from "./client-receive.ts";
import { sendText, type TextSendContext } from "./client-send.ts";
import { setUpClient } from "./client-setup.ts";
import type { IncomingMessage } from "./messages.ts";
import { onionNameResolver, recipientSessionId } from "./names.ts";
import type { NetworkClock } from "./network/clock.ts";
import type { NodePool } from "./network/nodes.ts";
import type { OnionTransport, RpcReply } from "./network/transport.ts";
import type { Push } from "./push.ts";
import { declineRequest, listContacts, listRequests, sessionIdArg } from "./state/conversations.ts";
import type { ClientStore, Conversation } from "./state/store.ts";
import { UserConfigs } from "./state/user-configs.ts";

/**
 * A Session account on the network: sends 1:1 messages, polls its own swarm for new ones (events
 * and an async iterator), deletes and expires its messages. Every request goes through an onion
 * path (see OnionTransport); only the node-list bootstrap talks to a seed directly.
 *
 * @example
 * ```ts
 * import { createIdentity, SessionClient } from "@session/client";
 *
 * const client = new SessionClient({
 *   identity: createIdentity(),
 *   seeds: ["https://seed.example.org:4433#sha256=AB:CD:EF"], // the seed's certificate pin
 *   dataDir: "./session-data", // remembers contacts and what was already delivered
 * });
 * await client.connect();
 * client.on("message", (m) => console.log(m.from, m.text));
 * client.start(); // polls the account's swarm
 * await client.sendText(bobId, "hi", { disappear: { type: "after-read", seconds: 60 } });
 * ```
 */
export class SessionClient extends EventEmitter<{ message: [IncomingMessage]; error: [Error] }> {
  readonly sessionId: string;
  readonly pool: NodePool;
  readonly transport: OnionTransport;
  readonly attachments: Attachments;
  readonly push: Push;
  readonly store: ClientStore;
  readonly clock: NetworkClock;
  /** The account's profile, contacts and read state, shared with its other devices. */
  readonly configs: UserConfigs;
  readonly stats: ClientStats;
  private readonly ownsStore: boolean;
  /** `history` mode: last hashes and seen hashes of this run only. */
  private readonly runLastHash = new Map<string, string>();
  private readonly runSeen = new Set<string>();
  private readonly dispatchers: { close(): Promise<void> }[];
  private readonly loop: PollLoop;
  /** The client's network objects, as the routing functions of client-network.ts take them. */
  private readonly net: SwarmNetwork;
  private readonly contactsCtx: ContactsContext;
  private readonly sending: TextSendContext;
  private closed = false;

  constructor(private readonly o: SessionClientOptions) {
    super();
    this.sessionId = o.identity.sessionId;
    const report = (err: Error) => this.report(err);
    const parts = setUpClient(o, report);
    this.store = parts.store;
    this.ownsStore = parts.ownsStore;
    this.clock = parts.clock;
    this.pool = parts.pool;
    this.transport = parts.transport;
    this.attachments = parts.attachments;
    this.push = parts.push;
    this.net = parts.net;
    this.stats = parts.net.stats;
    this.dispatchers = parts.dispatchers;
    this.configs = new UserConfigs(this, this.store, o.identity.keys.ed25519.secretKey, () => this.signer());
    this.contactsCtx = { store: this.store, configs: this.syncsConfigs ? this.configs : undefined, report };
    this.sending = {
      secretKey: o.identity.keys.ed25519.secretKey,
      now: () => this.now(),
      swarmRpc: (account, method, params) => this.swarmRpc(account, method, params),
      sessionId: this.sessionId,
      store: this.store,
      defaultTtl: o.ttlMs ?? DEFAULT_TTL,
      contactChanged: (id, patch) => this.contactChanged(id, patch),
      report,
    };
    this.loop = new PollLoop(() => this.pollOnce(), report, o.pollIntervalMs ?? 1000);
  }

  private get syncsConfigs(): boolean {
    return this.o.userConfigs !== false;
  }

  /** Reports an error that must not fail the caller (when anyone listens for errors). */
  private report(err: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", err);
  }

  /** A contact changed here: into the contacts config, for our other devices (client-contacts.ts). */
  private contactChanged(id: string, patch: ContactPatch): Promise<void> {
    return contactChanged(this.contactsCtx, id, patch);
  }

  /**
   * Sets our display name and/or profile picture (an image, encrypted with a new 32-byte key as
   * Session encrypts profile pictures and uploaded to the file server; null removes it). Kept in
   * the user profile config, so our other devices show the same.
   *
   * @example
   * ```ts
   * import { readFileSync } from "node:fs";
   *
   * await client.setProfile({ name: "Alice", picture: readFileSync("avatar.jpg") });
   * await client.setProfile({ picture: null }); // removes the picture, keeps the name
   * ```
   */
  setProfile(p: { name?: string; picture?: Uint8Array | null }): Promise<void> {
    return setProfile(this.configs, this.attachments, p);
  }

  /**
   * Our profile as the account's config holds it (the name and the picture's URL).
   *
   * @example
   * ```ts
   * const { name, pictureUrl } = await client.profile();
   * console.log(name ?? "(no name)", pictureUrl ?? "(no picture)");
   * ```
   */
  profile(): Promise<{ name?: string; pictureUrl?: string }> {
    return readProfile(this.configs);
  }

  /**
   * Our profile picture (downloaded and decrypted), or undefined when we have none.
   *
   * @example
   * ```ts
   * import { writeFileSync } from "node:fs";
   *
   * const picture = await client.profilePicture();
   * if (picture) writeFileSync("avatar.jpg", picture);
   * ```
   */
  profilePicture(): Promise<Uint8Array | undefined> {
    return profilePicture(this.configs, this.attachments);
  }

  /**
   * Network time (ms): this device's clock corrected by the offset learnt from nodes.
   *
   * @example
   * ```ts
   * const sentAt = client.now(); // what the nodes will take as "now", even if this device's clock is off
   * ```
   */
  now(): number {
    return this.clock.now();
  }

  /**
   * Gets the node list: from the store's cache when one is there and a node of it answers
   * (its clock teaches ours), from the seeds otherwise. A cached list is refreshed from the
   * network in the background once it is older than `refreshIntervalMs`.
   *
   * @example
   * ```ts
   * const nodes = await client.connect(); // NETWORK_UNAVAILABLE when neither the cache nor a seed answers
   * console.log(`${nodes.length} nodes known`);
   * ```
   */
  connect(): Promise<NodeInfo[]> {
    return connectNetwork(this.net, this.store);
  }

  private signer() {
    return signerOf(this.o.identity);
  }

  /**
   * Runs an RPC against a member of `account`'s swarm: another member when one is unreachable,
   * and the right swarm when a node answers 421.
   *
   * @example
   * ```ts
   * const reply = await client.swarmRpc(client.sessionId, "info", {});
   * console.log(reply.node.pubkey_ed25519, reply.status, reply.body);
   * ```
   */
  swarmRpc(
    account: string,
    method: string,
    params: Record<string, unknown> | ((dest: NodeInfo) => unknown),
  ): Promise<RpcReply & { node: NodeInfo }> {
    return swarmRpc(this.net, account, method, params);
  }

  /**
   * A name → Session ID, asked of 3 random nodes through onion paths (`ons_resolve`).
   *
   * @example
   * ```ts
   * const bob = await client.resolveNameOnion("bob"); // NAME_NOT_FOUND when no Session ID is registered
   * ```
   */
  readonly resolveNameOnion = (name: string): Promise<string> =>
    onionNameResolver(
      (dest, method, params) => this.transport.rpc(dest, method, params),
      () => this.pool.list(),
    )(name);

  /**
   * A Session ID, or a name resolved to one (BAD_RECIPIENT, NAME_NOT_FOUND).
   *
   * @example
   * ```ts
   * const id = await client.resolveRecipient("bob"); // a name, or a Session ID given as it is
   * ```
   */
  resolveRecipient(to: string): Promise<string> {
    return recipientSessionId(to, this.o.resolveName ?? this.resolveNameOnion);
  }

  /**
   * Uploads a file (encrypted) and sends it with an optional caption.
   *
   * @example
   * ```ts
   * import { readFileSync } from "node:fs";
   *
   * const ref = await client.attachments.upload(readFileSync("photo.jpg"), {
   *   fileName: "photo.jpg",
   *   contentType: "image/jpeg",
   * });
   * await client.sendAttachment(bobId, ref, "the view from the top");
   * ```
   */
  async sendAttachment(
    to: string,
    ref: AttachmentRef,
    caption = "",
    opts: SendOptions = {},
  ): Promise<SentMessage> {
    return this.sendText(to, caption, opts, [ref]);
  }

  /**
   * Sends a text message; returns the stored message's hash. A copy goes to our own swarm with
   * `syncTarget` set (Session's sync message), so our other devices show it too.
   *
   * @example
   * ```ts
   * const sent = await client.sendText(bobId, "hi"); // or a name: client.sendText("bob", "hi")
   * console.log(sent.hash, sent.timestamp);
   * ```
   */
  async sendText(
    to: string,
    text: string,
    opts: SendOptions = {},
    files: AttachmentRef[] = [],
  ): Promise<SentMessage> {
    return sendText(this.sending, await this.resolveRecipient(to), text, opts, files);
  }

  /**
   * Accepts a message request: `id` becomes a contact and gets Session's MessageRequestResponse
   * (approved, with our profile), so their client knows.
   *
   * @example
   * ```ts
   * for (const request of await client.requests()) await client.accept(request.sessionId);
   * ```
   */
  accept(id: string): Promise<SentMessage> {
    return acceptRequest(this.contactsCtx, this.sending, id, {
      fallbackProfile: this.o.profile,
      ttl: this.sending.defaultTtl,
    });
  }

  /**
   * Deletes a pending message request (NOT_A_REQUEST when there is none from `id`).
   *
   * @example
   * ```ts
   * await client.decline(bobId);
   * ```
   */
  async decline(id: string): Promise<void> {
    await declineRequest(this.store, sessionIdArg(id));
  }

  /**
   * Drops everything from `id` from now on.
   *
   * @example
   * ```ts
   * await client.block(bobId);
   * ```
   */
  block(id: string): Promise<void> {
    return setBlocked(this.contactsCtx, id, true);
  }

  /**
   * Takes `id` off the blocked list (on our other devices too): its messages are delivered again.
   *
   * @example
   * ```ts
   * await client.unblock(bobId);
   * ```
   */
  unblock(id: string): Promise<void> {
    return setBlocked(this.contactsCtx, id, false);
  }

  /**
   * Pending message requests, oldest first.
   *
   * @example
   * ```ts
   * for (const r of await client.requests()) console.log("request from", r.sessionId);
   * ```
   */
  requests(): Promise<Conversation[]> {
    return listRequests(this.store);
  }

  /**
   * Approved conversations, oldest first.
   *
   * @example
   * ```ts
   * for (const c of await client.contacts()) console.log(c.sessionId);
   * ```
   */
  contacts(): Promise<Conversation[]> {
    return listContacts(this.store);
  }

  /**
   * Blocked Session IDs.
   *
   * @example
   * ```ts
   * console.log(await client.blocked());
   * ```
   */
  blocked(): Promise<string[]> {
    return this.store.blocked();
  }

  /**
   * Fetches new messages from the account's swarm (deduplicated across members) and emits them.
   *
   * @example
   * ```ts
   * await client.connect();
   * for (const m of await client.poll()) console.log(m.from, m.text);
   * ```
   */
  poll(): Promise<IncomingMessage[]> {
    return this.loop.poll();
  }

  private pollOnce(): Promise<IncomingMessage[]> {
    return pollOnce({
      sessionId: this.sessionId,
      secretKey: this.o.identity.keys.ed25519.secretKey,
      store: this.store,
      history: this.o.history === true,
      runLastHash: this.runLastHash,
      runSeen: this.runSeen,
      now: () => this.now(),
      signer: this.signer(),
      swarmRpc: (account, method, params) => this.swarmRpc(account, method, params),
      syncConfigs: this.syncsConfigs ? () => this.configs.sync() : undefined,
      contactChanged: (id, patch) => this.contactChanged(id, patch),
      report: (err) => this.report(err),
      deliver: (msg) => this.emit("message", msg),
    });
  }

  /**
   * Marks a message read: an after-read disappearing message starts its timer on the swarm, and
   * the conversation's last-read time goes to our other devices (ConvoInfoVolatile config).
   *
   * @example
   * ```ts
   * client.on("message", (m) => {
   *   console.log(m.from, m.text);
   *   void client.markRead(m); // an after-read timer starts now
   * });
   * ```
   */
  async markRead(msg: IncomingMessage): Promise<void> {
    if (this.syncsConfigs) {
      const peer = msg.syncTarget ?? msg.from;
      this.configs.markRead(peer, msg.timestamp).catch((err: unknown) => this.report(err as Error));
    }
    if (msg.expiration?.type !== "after-read") return;
    await this.expire([msg.hash], this.now() + msg.expiration.seconds * 1000);
  }

  /**
   * Sets the expiry of messages in this account's swarm.
   *
   * @example
   * ```ts
   * const sent = await client.sendText(bobId, "gone in an hour");
   * await client.expire([sent.hash], client.now() + 3600_000);
   * ```
   */
  expire(hashes: string[], expiry: number): Promise<RpcReply> {
    return expireOwnMessages(this.net, this.o.identity, hashes, expiry);
  }

  /**
   * Deletes messages from this account's swarm.
   *
   * @example
   * ```ts
   * const inbox = await client.poll();
   * await client.deleteMessages(inbox.map((m) => m.hash));
   * ```
   */
  deleteMessages(hashes: string[]): Promise<RpcReply> {
    return deleteOwnMessages(this.net, this.o.identity, hashes);
  }

  /**
   * Polls every `pollIntervalMs` until `stop()`; errors are emitted, polling goes on.
   *
   * @example
   * ```ts
   * client.on("message", (m) => console.log(m.from, m.text));
   * client.on("error", (err) => console.error(err)); // a failed poll; the next one still runs
   * client.start();
   * ```
   */
  start(): void {
    this.loop.start();
  }

  /**
   * Stops the polling `start()` began (a poll in flight still completes); `start()` resumes it.
   *
   * @example
   * ```ts
   * client.start();
   * // ...
   * client.stop();
   * ```
   */
  stop(): void {
    this.loop.stop();
  }

  /**
   * Stops polling and closes the client's seed and node connections (after requests in flight).
   *
   * @example
   * ```ts
   * process.on("SIGINT", () => void client.close());
   * ```
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    await this.loop.idle();
    await Promise.all(this.dispatchers.map((d) => d.close()));
    if (this.ownsStore) await this.store.close();
  }

  /**
   * Async iterator over incoming messages (starts polling; stops when the loop ends).
   *
   * @example
   * ```ts
   * for await (const m of client.messages()) {
   *   console.log(m.from, m.text);
   *   if (m.text === "bye") break;
   * }
   * ```
   */
  messages(): AsyncGenerator<IncomingMessage> {
    return messageStream(this, () => this.start());
  }
}
