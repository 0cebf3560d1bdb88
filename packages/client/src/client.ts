import { EventEmitter } from "node:events";
import { aesGcmDecrypt, aesGcmEncrypt, isSessionId, randomBytesArray, sign, toHex } from "@session/crypto";
import { isRetryable } from "@session/errors";
import { NodeTlsError, nodeHttp, type PinnedSeed, parseSeed, seedHttp } from "@session/node-tls";
import {
  type Content,
  ExpirationType,
  type LokiProfile,
  type NodeInfo,
  signRpcParams,
} from "@session/protocol";
import { type AttachmentRef, Attachments, type FileServerConfig, toPointer } from "./attachments.ts";
import { ClientError } from "./errors.ts";
import type { Identity } from "./identity.ts";
import { expirationOf, type IncomingMessage, openMessage, sealMessage } from "./messages.ts";
import { onionNameResolver } from "./names.ts";
import { NetworkClock } from "./network/clock.ts";
import { NodeHealth, type NodeHealthOptions } from "./network/node-health.ts";
import { NodePool, parseNodeList } from "./network/nodes.ts";
import { OnionTransport, type RpcReply } from "./network/transport.ts";
import { Push, type PushServerConfig } from "./push.ts";
import {
  approve,
  declineRequest,
  listContacts,
  listRequests,
  recordIncoming,
  recordOutgoing,
  sessionIdArg,
} from "./state/conversations.ts";
import { MemoryClientStore } from "./state/memory-store.ts";
import { openSqliteStore } from "./state/sqlite-store.ts";
import type { ClientStore, Conversation } from "./state/store.ts";
import { UserConfigs } from "./state/user-configs.ts";

export interface SessionClientOptions {
  identity: Identity;
  /**
   * Seed nodes the node list is fetched from (their scheme is used for every node). An https seed
   * must be pinned: `{ url, certSha256 }` or `"https://host:port#sha256=<fingerprint>"`; plain
   * `http://` seeds (a plain-HTTP devnet) take no pin. See @session/node-tls.
   */
  seeds: readonly (string | PinnedSeed)[];
  /**
   * Replaces the HTTP used for seeds and nodes (tests). By default nodes are reached through a
   * dispatcher of their own that skips CA validation (nodes are authenticated by their onion keys)
   * and seeds only when they show their pinned certificate; every other fetch verifies certificates.
   */
  fetch?: typeof fetch;
  /** How often `start()` polls the account's swarm (ms). */
  pollIntervalMs?: number;
  /** Default message TTL (ms): 14 days like Session. */
  ttlMs?: number;
  /** Resolves `name` to a Session ID; by default `ons_resolve` through onion paths (src/names.ts). */
  resolveName?: (name: string) => Promise<string>;
  /** File server for attachments (reached through onion paths only). */
  fileServer?: FileServerConfig;
  /** Push server for device registration (reached through onion paths only). */
  pushServer?: PushServerConfig;
  /** How the client keeps its view of the network (defaults suit the real network). */
  network?: NetworkOptions;
  /**
   * Where the client remembers conversations, requests, blocked IDs, what it has retrieved, the
   * node list and the clock offset. Default: a SQLite file in `dataDir` when given, else memory.
   */
  store?: ClientStore;
  /** Directory of the default SQLite store (one file per identity, 0600). */
  dataDir?: string;
  /** Deliver every message still in the swarm, not only those new since the last run. */
  history?: boolean;
  /**
   * Our profile, sent with message request responses when the account has none of its own yet
   * (`setProfile`, kept in the user profile config and shared with our other devices).
   */
  profile?: LokiProfile;
  /**
   * Keep the account's profile, contacts, accepted requests and blocked IDs in its config
   * namespaces (libsession's format), so linked devices converge; default true.
   */
  userConfigs?: boolean;
  /** This device's clock (ms); the network offset is learnt and added to it. */
  now?: () => number;
}

export interface NetworkOptions extends NodeHealthOptions {
  /** The node list is fetched again from the network in the background this often (ms). */
  refreshIntervalMs?: number;
  /** Fewer usable nodes than this: refresh the list from the network now (in the background). */
  lowWater?: number;
  /** Destinations tried per swarm request (each over up to `pathAttempts` paths). */
  destinationAttempts?: number;
  /** Paths tried per destination. */
  pathAttempts?: number;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
}

/** A path of 3 plus a destination: below this many usable nodes nothing can be sent. */
const MIN_USABLE = 4;
/** Background refreshes are at most this frequent (ms). */
const MIN_REFRESH_GAP_MS = 10_000;

export interface SendOptions {
  ttlMs?: number;
  /** Disappearing message: deleted `seconds` after sending, or after the recipient reads it. */
  disappear?: { type: "after-send" | "after-read"; seconds: number };
}

export interface SentMessage {
  hash: string;
  timestamp: number;
  to: string;
}

const DEFAULT_TTL = 14 * 24 * 3600 * 1000;

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
  private timer: NodeJS.Timeout | undefined;
  private readonly dispatchers: { close(): Promise<void> }[] = [];
  private polling: Promise<IncomingMessage[]> | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefreshTry = 0;
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
  }

  private get syncsConfigs(): boolean {
    return this.o.userConfigs !== false;
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
      if (this.listenerCount("error") > 0) this.emit("error", err as Error);
    }
  }

  /**
   * Sets our display name and/or profile picture (an image, encrypted with a new 32-byte key as
   * Session encrypts profile pictures and uploaded to the file server; null removes it). Kept in
   * the user profile config, so our other devices show the same.
   */
  async setProfile(p: { name?: string; picture?: Uint8Array | null }): Promise<void> {
    const change: Parameters<UserConfigs["setProfile"]>[0] = {};
    if (p.name !== undefined) change.name = p.name.trim();
    if (p.picture === null) change.picture = undefined;
    else if (p.picture) {
      const key = randomBytesArray(32);
      const { url } = await this.attachments.uploadRaw(aesGcmEncrypt(key, p.picture));
      change.picture = { url, key };
    }
    await this.configs.setProfile(change);
  }

  /** Our profile as the account's config holds it (the name and the picture's URL). */
  async profile(): Promise<{ name?: string; pictureUrl?: string }> {
    const p = await this.configs.readProfile();
    return { ...(p.name ? { name: p.name } : {}), ...(p.picture ? { pictureUrl: p.picture.url } : {}) };
  }

  /** Our profile picture (downloaded and decrypted), or undefined when we have none. */
  async profilePicture(): Promise<Uint8Array | undefined> {
    const pic = (await this.configs.readProfile()).picture;
    if (!pic) return undefined;
    const id = pic.url.split("/file/")[1];
    if (!id) throw new ClientError("REQUEST_FAILED", "the profile picture URL is not a file server URL");
    return aesGcmDecrypt(pic.key, await this.attachments.downloadRaw(id));
  }

  /** The profile we send: the account's own when set, else the `profile` option. */
  private async ownProfile(): Promise<{ profile?: LokiProfile; profileKey?: Uint8Array }> {
    const p = this.syncsConfigs ? await this.configs.readProfile() : {};
    if (!p.name && !p.picture) return this.o.profile ? { profile: this.o.profile } : {};
    return {
      profile: {
        ...(p.name ? { displayName: p.name } : {}),
        ...(p.picture ? { profilePicture: p.picture.url } : {}),
      },
      ...(p.picture ? { profileKey: p.picture.key } : {}),
    };
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
    p.catch((err: unknown) => {
      if (this.listenerCount("error") > 0) this.emit("error", err as Error);
    });
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
      if (await this.probe()) {
        this.stats.cacheStarts++;
        return [...this.pool.list()];
      }
    }
    const list = await this.pool.bootstrap();
    this.lastRefreshTry = this.clock.localNow();
    return list;
  }

  /** Asks a random usable node for its `info` (through an onion path); true when one answered. */
  private async probe(dest?: NodeInfo): Promise<boolean> {
    const via = this.transport.usableNodes();
    const node = dest ?? via[Math.floor(Math.random() * via.length)];
    if (!node) return false;
    try {
      const sentAt = this.clock.localNow();
      const r = await this.transport.rpc(node, "info", {});
      this.clock.observe(r.body, sentAt, this.clock.localNow());
      return r.status === 200;
    } catch {
      return false;
    }
  }

  /**
   * Keeps the node list fresh, as Session's clients do: fetched again from the network (a random
   * usable node, through an onion path) in the background when it is old or few nodes are usable,
   * and from the seeds — waited for — when too few are usable to build a path at all.
   */
  private async maintainPool(): Promise<void> {
    const net = this.o.network ?? {};
    const usable = this.transport.usableNodes().length;
    if (usable < MIN_USABLE) {
      await this.refreshPool(true);
      return;
    }
    const now = this.clock.localNow();
    const stale = now - this.pool.refreshedAt > (net.refreshIntervalMs ?? 10 * 60_000);
    const low = usable < (net.lowWater ?? 8);
    if ((stale || low) && now - this.lastRefreshTry >= MIN_REFRESH_GAP_MS) {
      void this.refreshPool(false).catch(() => {});
    }
  }

  /** One refresh at a time; `urgent` goes straight to the seeds. */
  private refreshPool(urgent: boolean): Promise<void> {
    this.refreshing ??= (async () => {
      this.lastRefreshTry = this.clock.localNow();
      if (!urgent) {
        try {
          const via = this.transport.usableNodes();
          const node = via[Math.floor(Math.random() * via.length)];
          if (node) {
            const r = await this.transport.rpc(node, "oxend_request", { endpoint: "get_service_nodes" });
            if (r.status === 200 && this.pool.replace(parseNodeList(r.body))) {
              this.stats.networkRefreshes++;
              return;
            }
          }
        } catch {
          // fall back to the seeds
        }
      }
      await this.pool.bootstrap();
      this.stats.seedRefreshes++;
      // Listed but all struck out: give every node another chance rather than give up.
      if (this.transport.usableNodes().length < MIN_USABLE) this.transport.health.forgiveAll();
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private signer() {
    const keys = this.o.identity.keys;
    return {
      sign: (m: Uint8Array) => sign(m, keys.ed25519.secretKey),
      ed25519PubkeyHex: toHex(keys.ed25519.publicKey),
    };
  }

  /**
   * Runs an RPC against a member of `account`'s swarm: another member when one is unreachable,
   * and the right swarm when a node answers 421.
   */
  async swarmRpc(
    account: string,
    method: string,
    params: Record<string, unknown> | ((dest: NodeInfo) => unknown),
  ): Promise<RpcReply & { node: NodeInfo }> {
    let lastErr: unknown;
    let clockChecked = false;
    const tried = new Set<string>();
    const health = this.transport.health;
    const budget = this.o.network?.destinationAttempts ?? 6;
    for (let attempt = 0; attempt < budget; attempt++) {
      await this.maintainPool();
      const members = this.pool.swarmOf(account);
      // Untried members that have not struck out first; then any untried; then any usable one.
      const fresh = members.filter((m) => !tried.has(m.pubkey_ed25519));
      const choices = [
        fresh.filter((m) => health.usable(m.pubkey_ed25519)),
        fresh,
        members.filter((m) => health.usable(m.pubkey_ed25519)),
      ].find((c) => c.length > 0);
      const dest = choices?.[Math.floor(Math.random() * choices.length)];
      if (!dest) break;
      tried.add(dest.pubkey_ed25519);
      try {
        const sentAt = this.clock.localNow();
        const r = await this.transport.rpc(
          dest,
          method,
          typeof params === "function" ? await params(dest) : params,
        );
        this.clock.observe(r.body, sentAt, this.clock.localNow());
        if (r.status === 406 && !clockChecked && typeof params === "function") {
          // A timestamp out of the node's window: learn its clock and sign again.
          clockChecked = true;
          await this.probe(dest);
          tried.delete(dest.pubkey_ed25519);
          lastErr = new ClientError("REQUEST_FAILED", `${method}: ${JSON.stringify(r.body)}`, r.status);
          continue;
        }
        if (r.status >= 500) {
          // The destination itself failed (as session-desktop does: a strike, another member).
          health.strike(dest.pubkey_ed25519);
          lastErr = new ClientError(
            "REQUEST_FAILED",
            `${method} failed at the node: ${JSON.stringify(r.body)}`,
          );
          continue;
        }
        if (r.status !== 421) return { ...r, node: dest };
        const snodes = (r.body as { snodes?: { pubkey_ed25519: string }[] })?.snodes ?? [];
        this.pool.learnSwarm(account, snodes);
        tried.clear();
      } catch (err) {
        lastErr = err;
        // Another member (or a later try) can help unless the error says it cannot.
        if (!isRetryable(err, true)) throw err;
      }
    }
    if (lastErr) throw lastErr;
    throw new ClientError("NETWORK_UNAVAILABLE", "no reachable node in this account's swarm");
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
    const dataMessage = { body: text, ...(files.length ? { attachments: files.map(toPointer) } : {}) };
    const content: Content = { dataMessage };
    let ttl = opts.ttlMs ?? this.o.ttlMs ?? DEFAULT_TTL;
    if (opts.disappear) {
      content.expirationType =
        opts.disappear.type === "after-read"
          ? ExpirationType.DELETE_AFTER_READ
          : ExpirationType.DELETE_AFTER_SEND;
      content.expirationTimer = opts.disappear.seconds;
      if (opts.disappear.type === "after-send") ttl = Math.max(10_000, opts.disappear.seconds * 1000);
    }
    const sent = await this.storeContent(recipient, content, ttl);
    await recordOutgoing(this.store, recipient, sent.timestamp);
    if (recipient !== this.sessionId) await this.contactChanged(recipient, { approved: true });
    if (recipient !== this.sessionId) {
      const copy: Content = { ...content, dataMessage: { ...dataMessage, syncTarget: recipient } };
      try {
        const own = await this.storeContent(this.sessionId, copy, ttl, sent.timestamp);
        await this.store.markSeen(own.hash, sent.timestamp + ttl);
      } catch (err) {
        // The message itself was sent; only our other devices miss it.
        if (this.listenerCount("error") > 0) this.emit("error", err as Error);
      }
    }
    return sent;
  }

  /**
   * Encrypts `content` for `recipient` and stores it in their swarm (namespace 0). The timestamp
   * is network time, taken afresh when a node's answer corrected our clock (unless `timestamp`).
   */
  private async storeContent(
    recipient: string,
    content: Content,
    ttl: number,
    timestamp?: number,
  ): Promise<SentMessage> {
    let used = timestamp ?? this.now();
    const r = await this.swarmRpc(recipient, "store", () => {
      used = timestamp ?? this.now();
      const data = sealMessage(this.o.identity.keys.ed25519.secretKey, recipient, content, used);
      return { pubkey: recipient, namespace: 0, timestamp: used, ttl, data };
    });
    if (r.status !== 200)
      throw new ClientError("REQUEST_FAILED", `store failed: ${JSON.stringify(r.body)}`, r.status);
    return { hash: (r.body as { hash: string }).hash, timestamp: used, to: recipient };
  }

  /**
   * Accepts a message request: `id` becomes a contact and gets Session's MessageRequestResponse
   * (approved, with our profile), so their client knows.
   */
  async accept(id: string): Promise<SentMessage> {
    const sessionId = sessionIdArg(id);
    const c = await approve(this.store, sessionId, this.now());
    const response = { isApproved: true, ...(await this.ownProfile()) };
    const sent = await this.storeContent(
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
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private lastHash(node: string): Promise<string | undefined> | string | undefined {
    return this.o.history ? this.runLastHash.get(node) : this.store.lastHash(node, 0);
  }

  private async firstSeen(hash: string, expiresAt: number): Promise<boolean> {
    const stored = await this.store.markSeen(hash, expiresAt);
    if (!this.o.history) return stored;
    if (this.runSeen.has(hash)) return false;
    this.runSeen.add(hash);
    return true;
  }

  private async pollOnce(): Promise<IncomingMessage[]> {
    if (this.syncsConfigs) {
      // Configs first: a block or acceptance made on another device applies to these messages.
      try {
        await this.configs.sync();
      } catch (err) {
        if (this.listenerCount("error") > 0) this.emit("error", err as Error);
      }
    }
    // last_hash is tracked per node: each member numbers messages in its own order.
    const r = await this.swarmRpc(this.sessionId, "retrieve", async (dest) => {
      const last = await this.lastHash(dest.pubkey_ed25519);
      return signRpcParams(
        "retrieve",
        { pubkey: this.sessionId, namespace: 0, timestamp: this.now(), ...(last ? { last_hash: last } : {}) },
        this.signer(),
      );
    });
    const key = r.node.pubkey_ed25519;
    if (r.status !== 200) throw new ClientError("REQUEST_FAILED", `retrieve failed (${r.status})`, r.status);
    const body = r.body as { messages: { hash: string; data: string; expiration?: number }[] };
    const out: IncomingMessage[] = [];
    for (const m of body.messages) {
      const fresh = await this.firstSeen(m.hash, m.expiration ?? this.now() + DEFAULT_TTL);
      if (this.o.history) this.runLastHash.set(key, m.hash);
      else await this.store.setLastHash(key, 0, m.hash);
      if (!fresh) continue;
      const opened = openMessage(this.o.identity.keys.ed25519.secretKey, m.data);
      if (!opened) continue;
      const verdict = await recordIncoming(
        this.store,
        this.sessionId,
        opened.from,
        opened.content,
        opened.timestamp,
      );
      if (!verdict.deliver) continue;
      if (opened.from !== this.sessionId) {
        const response = opened.content.messageRequestResponse;
        const name = response?.profile?.displayName ?? opened.content.dataMessage?.profile?.displayName;
        const c = response || name ? await this.store.conversation(opened.from) : undefined;
        if (c?.approved)
          await this.contactChanged(opened.from, {
            approvedMe: c.approvedMe,
            ...(name ? { name } : {}),
          });
      }
      const msg: IncomingMessage = {
        hash: m.hash,
        from: opened.from,
        text: opened.content.dataMessage?.body,
        timestamp: opened.timestamp,
        isRequest: verdict.isRequest,
        content: opened.content,
      };
      const target = opened.from === this.sessionId ? opened.content.dataMessage?.syncTarget : undefined;
      if (target) msg.syncTarget = target;
      const exp = expirationOf(opened.content);
      if (exp) msg.expiration = exp;
      out.push(msg);
      this.emit("message", msg);
    }
    return out;
  }

  /**
   * Marks a message read: an after-read disappearing message starts its timer on the swarm, and
   * the conversation's last-read time goes to our other devices (ConvoInfoVolatile config).
   */
  async markRead(msg: IncomingMessage): Promise<void> {
    if (this.syncsConfigs) {
      const peer = msg.syncTarget ?? msg.from;
      this.configs.markRead(peer, msg.timestamp).catch((err: unknown) => {
        if (this.listenerCount("error") > 0) this.emit("error", err as Error);
      });
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
    if (this.timer) return;
    const tick = () =>
      this.poll().catch((err: unknown) => {
        if (this.listenerCount("error") > 0) this.emit("error", err as Error);
      });
    void tick();
    this.timer = setInterval(tick, this.o.pollIntervalMs ?? 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops polling and closes the client's seed and node connections (after requests in flight). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    await this.polling?.catch(() => {});
    await Promise.all(this.dispatchers.map((d) => d.close()));
    if (this.ownsStore) await this.store.close();
  }

  /** Async iterator over incoming messages (starts polling; stops when the loop ends). */
  async *messages(): AsyncGenerator<IncomingMessage> {
    const queue: IncomingMessage[] = [];
    let wake: (() => void) | undefined;
    const on = (m: IncomingMessage) => {
      queue.push(m);
      wake?.();
    };
    this.on("message", on);
    this.start();
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
    } finally {
      this.off("message", on);
    }
  }
}
