import { EventEmitter } from "node:events";
import { isSessionId } from "@session/crypto";
import { NodeTlsError, nodeHttp, type PinnedSeed, parseSeed, seedHttp } from "@session/node-tls";
import { type Content, type NodeInfo, signRpcParams } from "@session/protocol";
import { type AttachmentRef, Attachments } from "./attachments.ts";
import {
  MIN_USABLE,
  probe,
  type RefreshState,
  type SwarmNetwork,
  signerOf,
  swarmRpc,
} from "./client-network.ts";
import {
  DEFAULT_TTL,
  type SendOptions,
  type SentMessage,
  type SessionClientOptions,
} from "./client-options.ts";
import { messageStream, PollLoop } from "./client-poll-loop.ts";
import { outgoingProfile, profilePicture, readProfile, setProfile } from "./client-profile.ts";
import { pollOnce } from "./client-receive.ts";
import { type SendContext, storeContent, textContent } from "./client-send.ts";
import { ClientError } from "./errors.ts";
import type { IncomingMessage } from "./messages.ts";
import { onionNameResolver } from "./names.ts";
import { NetworkClock } from "./network/clock.ts";
import { NodeHealth } from "./network/node-health.ts";
import { NodePool } from "./network/nodes.ts";
import { OnionTransport, type RpcReply } from "./network/transport.ts";
import { Push } from "./push.ts";
import {
  approve,
  declineRequest,
  listContacts,
  listRequests,
  recordOutgoing,
  sessionIdArg,
} from "./state/conversations.ts";
import { MemoryClientStore } from "./state/memory-store.ts";
import { openSqliteStore } from "./state/sqlite-store.ts";
import type { ClientStore, Conversation } from "./state/store.ts";
import { UserConfigs } from "./state/user-configs.ts";

// The options and result types live in client-options.ts; re-exported here for existing importers.
export type {
  NetworkOptions,
  SendOptions,
  SentMessage,
  SessionClientOptions,
} from "./client-options.ts";

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
  private readonly ownsStore: boolean;
  /** `history` mode: last hashes and seen hashes of this run only. */
  private readonly runLastHash = new Map<string, string>();
  private readonly runSeen = new Set<string>();
  private readonly dispatchers: { close(): Promise<void> }[] = [];
  private readonly loop: PollLoop;
  private readonly refresh: RefreshState = { lastTry: 0, inFlight: undefined };
  private closed = false;
  readonly stats = { networkRefreshes: 0, seedRefreshes: 0, cacheStarts: 0 };

  constructor(private readonly o: SessionClientOptions) {
    super();
    this.sessionId = o.identity.sessionId;
    let seeds: PinnedSeed[];
    try {
      seeds = o.seeds.map(parseSeed);
    } catch (err) {
      if (err instanceof NodeTlsError)
        throw new ClientError("BAD_SEED", err.message, undefined, { cause: err });
      throw err;
    }
    const seedFetch = o.fetch ?? this.own(seedHttp(seeds)).fetch;
    const nodeFetch = o.fetch ?? this.own(nodeHttp()).fetch;
    const scheme = (seeds[0]?.url ?? "https://").startsWith("http://") ? "http" : "https";
    this.ownsStore = !o.store;
    this.store =
      o.store ?? (o.dataDir ? openSqliteStore(o.dataDir, this.sessionId) : new MemoryClientStore());
    this.clock = new NetworkClock(o.now, 0, (offset) => this.persist(this.store.setClockOffset(offset)));
    this.pool = new NodePool(
      seeds.map((s) => s.url),
      seedFetch,
      {
        onReplace: (nodes, at) => this.persist(this.store.saveNodeCache({ nodes: [...nodes], savedAt: at })),
        onSeedReply: (body, sentAt, receivedAt) => this.clock.observe(body, sentAt, receivedAt),
        now: () => this.clock.localNow(),
      },
    );
    const net = o.network ?? {};
    this.transport = new OnionTransport(() => this.pool.list(), {
      scheme,
      fetch: nodeFetch,
      health: new NodeHealth(net),
      ...(net.pathAttempts !== undefined ? { attempts: net.pathAttempts } : {}),
      ...(net.timeoutMs !== undefined ? { timeoutMs: net.timeoutMs } : {}),
    });
    this.attachments = new Attachments(this.transport, o.fileServer);
    this.push = new Push(this.transport, o.identity, o.pushServer);
    this.configs = new UserConfigs(this, this.store, o.identity.keys.ed25519.secretKey, () => this.signer());
    this.loop = new PollLoop(
      () => this.pollOnce(),
      (err) => this.report(err),
      o.pollIntervalMs ?? 1000,
    );
  }

  private get syncsConfigs(): boolean {
    return this.o.userConfigs !== false;
  }

  /** The client's network objects, as the routing functions of client-network.ts take them. */
  private get net(): SwarmNetwork {
    return {
      pool: this.pool,
      transport: this.transport,
      clock: this.clock,
      options: this.o.network ?? {},
      stats: this.stats,
      refresh: this.refresh,
    };
  }

  private get sending(): SendContext {
    return {
      secretKey: this.o.identity.keys.ed25519.secretKey,
      now: () => this.now(),
      swarmRpc: (account, method, params) => this.swarmRpc(account, method, params),
    };
  }

  /** Reports an error that must not fail the caller (when anyone listens for errors). */
  private report(err: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", err);
  }

  /**
   * A contact changed here: written into the contacts config and pushed, so our other devices
   * follow. The local change stands either way; a failed push is retried at the next poll.
   */
  private async contactChanged(
    id: string,
    patch: Parameters<UserConfigs["updateContact"]>[1],
    onlyKnown = false,
  ): Promise<void> {
    if (!this.syncsConfigs) return;
    try {
      if (onlyKnown && !(await this.configs.contact(id))) return;
      await this.configs.updateContact(id, patch);
    } catch (err) {
      this.report(err as Error);
    }
  }

  /**
   * Sets our display name and/or profile picture (an image, encrypted with a new 32-byte key as
   * Session encrypts profile pictures and uploaded to the file server; null removes it). Kept in
   * the user profile config, so our other devices show the same.
   */
  setProfile(p: { name?: string; picture?: Uint8Array | null }): Promise<void> {
    return setProfile(this.configs, this.attachments, p);
  }

  /** Our profile as the account's config holds it (the name and the picture's URL). */
  profile(): Promise<{ name?: string; pictureUrl?: string }> {
    return readProfile(this.configs);
  }

  /** Our profile picture (downloaded and decrypted), or undefined when we have none. */
  profilePicture(): Promise<Uint8Array | undefined> {
    return profilePicture(this.configs, this.attachments);
  }

  private own<T extends { close(): Promise<void> }>(d: T): T {
    this.dispatchers.push(d);
    return d;
  }

  /** Network time (ms): this device's clock corrected by the offset learnt from nodes. */
  now(): number {
    return this.clock.now();
  }

  /** A store write that must not hold up the caller; failures are reported as errors. */
  private persist(p: Promise<void>): void {
    p.catch((err: unknown) => this.report(err as Error));
  }

  /**
   * Gets the node list: from the store's cache when one is there and a node of it answers
   * (its clock teaches ours), from the seeds otherwise. A cached list is refreshed from the
   * network in the background once it is older than `refreshIntervalMs`.
   */
  async connect(): Promise<NodeInfo[]> {
    const offset = await this.store.clockOffset();
    if (offset !== undefined) this.clock.adopt(offset);
    const cached = await this.store.nodeCache();
    if (cached && cached.nodes.length >= MIN_USABLE) {
      this.pool.replace(cached.nodes, cached.savedAt);
      if (await probe(this.net)) {
        this.stats.cacheStarts++;
        return [...this.pool.list()];
      }
    }
    const list = await this.pool.bootstrap();
    this.refresh.lastTry = this.clock.localNow();
    return list;
  }

  private signer() {
    return signerOf(this.o.identity);
  }

  /**
   * Runs an RPC against a member of `account`'s swarm: another member when one is unreachable,
   * and the right swarm when a node answers 421.
   */
  swarmRpc(
    account: string,
    method: string,
    params: Record<string, unknown> | ((dest: NodeInfo) => unknown),
  ): Promise<RpcReply & { node: NodeInfo }> {
    return swarmRpc(this.net, account, method, params);
  }

  /** A name → Session ID, asked of 3 random nodes through onion paths (`ons_resolve`). */
  readonly resolveNameOnion = (name: string): Promise<string> =>
    onionNameResolver(
      (dest, method, params) => this.transport.rpc(dest, method, params),
      () => this.pool.list(),
    )(name);

  /** A Session ID, or a name resolved to one (BAD_RECIPIENT, NAME_NOT_FOUND). */
  async resolveRecipient(to: string): Promise<string> {
    if (isSessionId(to, 0x05)) return to.toLowerCase();
    if (/^[0-9a-fA-F]{66}$/.test(to))
      throw new ClientError("BAD_RECIPIENT", `not a Session ID (must start with 05): ${to}`);
    return (this.o.resolveName ?? this.resolveNameOnion)(to);
  }

  /** Uploads a file (encrypted) and sends it with an optional caption. */
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
   */
  async sendText(
    to: string,
    text: string,
    opts: SendOptions = {},
    files: AttachmentRef[] = [],
  ): Promise<SentMessage> {
    const recipient = await this.resolveRecipient(to);
    const { content, dataMessage, ttl } = textContent(text, opts, files, this.o.ttlMs ?? DEFAULT_TTL);
    const sent = await storeContent(this.sending, recipient, content, ttl);
    await recordOutgoing(this.store, recipient, sent.timestamp);
    if (recipient !== this.sessionId) await this.contactChanged(recipient, { approved: true });
    if (recipient !== this.sessionId) {
      const copy: Content = { ...content, dataMessage: { ...dataMessage, syncTarget: recipient } };
      try {
        const own = await storeContent(this.sending, this.sessionId, copy, ttl, sent.timestamp);
        await this.store.markSeen(own.hash, sent.timestamp + ttl);
      } catch (err) {
        // The message itself was sent; only our other devices miss it.
        this.report(err as Error);
      }
    }
    return sent;
  }

  /**
   * Accepts a message request: `id` becomes a contact and gets Session's MessageRequestResponse
   * (approved, with our profile), so their client knows.
   */
  async accept(id: string): Promise<SentMessage> {
    const sessionId = sessionIdArg(id);
    const c = await approve(this.store, sessionId, this.now());
    const response = {
      isApproved: true,
      ...(await outgoingProfile(this.syncsConfigs ? this.configs : undefined, this.o.profile)),
    };
    const sent = await storeContent(
      this.sending,
      sessionId,
      { messageRequestResponse: response },
      this.o.ttlMs ?? DEFAULT_TTL,
    );
    await this.contactChanged(sessionId, {
      approved: true,
      approvedMe: c.approvedMe,
      ...(c.name ? { name: c.name } : {}),
    });
    return sent;
  }

  /** Deletes a pending message request (NOT_A_REQUEST when there is none from `id`). */
  async decline(id: string): Promise<void> {
    await declineRequest(this.store, sessionIdArg(id));
  }

  /** Drops everything from `id` from now on. */
  async block(id: string): Promise<void> {
    const sessionId = sessionIdArg(id);
    await this.store.setBlocked(sessionId, true);
    await this.contactChanged(sessionId, { blocked: true });
  }

  async unblock(id: string): Promise<void> {
    const sessionId = sessionIdArg(id);
    await this.store.setBlocked(sessionId, false);
    await this.contactChanged(sessionId, { blocked: false }, true);
  }

  /** Pending message requests, oldest first. */
  requests(): Promise<Conversation[]> {
    return listRequests(this.store);
  }

  /** Approved conversations, oldest first. */
  contacts(): Promise<Conversation[]> {
    return listContacts(this.store);
  }

  /** Blocked Session IDs. */
  blocked(): Promise<string[]> {
    return this.store.blocked();
  }

  /** Fetches new messages from the account's swarm (deduplicated across members) and emits them. */
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
   */
  async markRead(msg: IncomingMessage): Promise<void> {
    if (this.syncsConfigs) {
      const peer = msg.syncTarget ?? msg.from;
      this.configs.markRead(peer, msg.timestamp).catch((err: unknown) => this.report(err as Error));
    }
    if (msg.expiration?.type !== "after-read") return;
    await this.expire([msg.hash], this.now() + msg.expiration.seconds * 1000);
  }

  /** Sets the expiry of messages in this account's swarm. */
  async expire(hashes: string[], expiry: number): Promise<RpcReply> {
    const params = signRpcParams(
      "expire",
      { pubkey: this.sessionId, messages: hashes, expiry },
      this.signer(),
    );
    return this.swarmRpc(this.sessionId, "expire", params);
  }

  /** Deletes messages from this account's swarm. */
  async deleteMessages(hashes: string[]): Promise<RpcReply> {
    const params = signRpcParams("delete", { pubkey: this.sessionId, messages: hashes }, this.signer());
    return this.swarmRpc(this.sessionId, "delete", params);
  }

  /** Polls every `pollIntervalMs` until `stop()`; errors are emitted, polling goes on. */
  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  /** Stops polling and closes the client's seed and node connections (after requests in flight). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    await this.loop.idle();
    await Promise.all(this.dispatchers.map((d) => d.close()));
    if (this.ownsStore) await this.store.close();
  }

  /** Async iterator over incoming messages (starts polling; stops when the loop ends). */
  messages(): AsyncGenerator<IncomingMessage> {
    return messageStream(this, () => this.start());
  }
}
