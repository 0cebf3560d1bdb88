import type { NodeInfo } from "@session/protocol";

/**
 * One conversation with another account, as Session keeps it: `approved` once we accepted it (or
 * wrote first), `approvedMe` once they did; an unapproved conversation with incoming messages is
 * a message request.
 */
export interface Conversation {
  sessionId: string;
  approved: boolean;
  approvedMe: boolean;
  /** Display name from their profile, when they sent one. */
  name?: string;
  createdAt: number;
  /** Newest message either way (sender's timestamp, ms). */
  lastMessageAt: number;
}

/** A saved libsession config (the user's profile, contacts, …): the message and whether it still needs pushing. */
export interface ConfigDumpRecord {
  /** The serialized config message (hex). */
  message: string;
  needsPush: boolean;
}

export interface NodeCache {
  nodes: NodeInfo[];
  /** When the list was fetched (ms since epoch). */
  savedAt: number;
}

/**
 * What a client remembers between runs. The SDK ships a SQLite store (one file per identity,
 * {@link openSqliteStore}) and an in-memory one (tests, short-lived clients); an app can bring its
 * own implementation. Every method may be synchronous inside; they return promises so a remote
 * store fits too.
 */
export interface ClientStore {
  /**
   * The newest message hash retrieved from `node` (Ed25519 hex) in `namespace`.
   *
   * @example
   * ```ts
   * const [node] = client.pool.swarmOf(client.sessionId);
   * if (node) console.log(await store.lastHash(node.pubkey_ed25519, 0)); // undefined: nothing retrieved yet
   * ```
   */
  lastHash(node: string, namespace: number): Promise<string | undefined>;
  /**
   * Remembers the newest hash retrieved from `node` in `namespace` (the next retrieve starts after it).
   *
   * @example
   * ```ts
   * await store.setLastHash(nodeEd25519, 0, "hashA");
   * console.log(await store.lastHash(nodeEd25519, 0)); // "hashA"
   * ```
   */
  setLastHash(node: string, namespace: number, hash: string): Promise<void>;
  /**
   * Records a message hash; false when it was seen before (dedup across restarts).
   *
   * @example
   * ```ts
   * const expiresAt = Date.now() + 14 * 24 * 3600_000;
   * await store.markSeen("hashA", expiresAt); // true: new, deliver it
   * await store.markSeen("hashA", expiresAt); // false: a duplicate, not delivered again
   * ```
   */
  markSeen(hash: string, expiresAt: number): Promise<boolean>;
  /**
   * Forgets seen hashes whose message expired before `now`.
   *
   * @example
   * ```ts
   * await store.pruneSeen(Date.now());
   * ```
   */
  pruneSeen(now: number): Promise<void>;

  /**
   * The conversation with `sessionId`, or undefined when there is none.
   *
   * @example
   * ```ts
   * const c = await store.conversation(bobId);
   * if (c && !c.approved) console.log("bob's message is a request");
   * ```
   */
  conversation(sessionId: string): Promise<Conversation | undefined>;
  /**
   * Creates or replaces the conversation with `c.sessionId`.
   *
   * @example
   * ```ts
   * const now = Date.now();
   * await store.putConversation({
   *   sessionId: bobId,
   *   approved: true,
   *   approvedMe: false,
   *   createdAt: now,
   *   lastMessageAt: now,
   * });
   * ```
   */
  putConversation(c: Conversation): Promise<void>;
  /**
   * Forgets the conversation with `sessionId` (what `client.decline` does to a request).
   *
   * @example
   * ```ts
   * await store.deleteConversation(bobId);
   * ```
   */
  deleteConversation(sessionId: string): Promise<void>;
  /**
   * Every conversation, oldest first (requests included: `approved` false).
   *
   * @example
   * ```ts
   * const open = (await store.conversations()).filter((c) => c.approved);
   * ```
   */
  conversations(): Promise<Conversation[]>;

  /**
   * Whether messages from `sessionId` are dropped.
   *
   * @example
   * ```ts
   * if (await store.isBlocked(bobId)) console.log("bob is blocked");
   * ```
   */
  isBlocked(sessionId: string): Promise<boolean>;
  /**
   * Blocks or unblocks `sessionId` here only (`client.block` also tells our other devices).
   *
   * @example
   * ```ts
   * await store.setBlocked(bobId, true);
   * ```
   */
  setBlocked(sessionId: string, blocked: boolean): Promise<void>;
  /**
   * Blocked Session IDs, sorted.
   *
   * @example
   * ```ts
   * console.log(await store.blocked());
   * ```
   */
  blocked(): Promise<string[]>;

  /**
   * The node list saved by the last `connect()`, with when it was fetched.
   *
   * @example
   * ```ts
   * const cache = await store.nodeCache();
   * if (cache) console.log(`${cache.nodes.length} nodes, ${(Date.now() - cache.savedAt) / 1000} s old`);
   * ```
   */
  nodeCache(): Promise<NodeCache | undefined>;
  /**
   * Replaces the saved node list.
   *
   * @example
   * ```ts
   * await store.saveNodeCache({ nodes: [...client.pool.list()], savedAt: Date.now() });
   * ```
   */
  saveNodeCache(cache: NodeCache): Promise<void>;

  /**
   * The saved config `name` ("UserProfile", "Contacts", "ConvoInfoVolatile").
   *
   * @example
   * ```ts
   * const profile = await store.configDump("UserProfile");
   * if (profile?.needsPush) console.log("a profile change has not reached our swarm yet");
   * ```
   */
  configDump(name: string): Promise<ConfigDumpRecord | undefined>;
  /**
   * Replaces the saved config `name`.
   *
   * @example
   * ```ts
   * const dump = await store.configDump("Contacts");
   * if (dump) await store.saveConfigDump("Contacts", { ...dump, needsPush: false });
   * ```
   */
  saveConfigDump(name: string, dump: ConfigDumpRecord): Promise<void>;

  /**
   * Network time minus local time (ms), as last learnt.
   *
   * @example
   * ```ts
   * const offset = (await store.clockOffset()) ?? 0;
   * console.log(`network time is ${offset} ms ahead of this device`);
   * ```
   */
  clockOffset(): Promise<number | undefined>;
  /**
   * Remembers the offset learnt from nodes, so a restarted client starts with it.
   *
   * @example
   * ```ts
   * await store.setClockOffset(client.clock.offset);
   * ```
   */
  setClockOffset(ms: number): Promise<void>;

  /**
   * Small JSON values an app keeps beside the client's state (bots, services).
   *
   * @example
   * ```ts
   * const greeted = (await store.getValue<string[]>("bot:greeted")) ?? [];
   * ```
   */
  getValue<T = unknown>(key: string): Promise<T | undefined>;
  /**
   * Saves a JSON-serializable value under `key` (replacing what was there).
   *
   * @example
   * ```ts
   * await client.store.setValue("bot:greeted", [bobId]);
   * ```
   */
  setValue(key: string, value: unknown): Promise<void>;
  /**
   * Removes the value under `key` (nothing happens when there is none).
   *
   * @example
   * ```ts
   * await store.deleteValue("bot:greeted");
   * ```
   */
  deleteValue(key: string): Promise<void>;
  /**
   * Keys starting with `prefix`, sorted.
   *
   * @example
   * ```ts
   * for (const key of await store.keys("bot:")) await store.deleteValue(key);
   * ```
   */
  keys(prefix: string): Promise<string[]>;

  /**
   * Releases the store (closes the SQLite file); `client.close()` does it for a store it opened itself.
   *
   * @example
   * ```ts
   * import { openSqliteStore } from "@session/client";
   *
   * const store = openSqliteStore("./session-data", me.sessionId);
   * console.log(await store.conversations());
   * await store.close();
   * ```
   */
  close(): Promise<void>;
}
