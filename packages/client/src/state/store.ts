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
  /** The newest message hash retrieved from `node` (Ed25519 hex) in `namespace`. */
  lastHash(node: string, namespace: number): Promise<string | undefined>;
  setLastHash(node: string, namespace: number, hash: string): Promise<void>;
  /** Records a message hash; false when it was seen before (dedup across restarts). */
  markSeen(hash: string, expiresAt: number): Promise<boolean>;
  /** Forgets seen hashes whose message expired before `now`. */
  pruneSeen(now: number): Promise<void>;

  conversation(sessionId: string): Promise<Conversation | undefined>;
  putConversation(c: Conversation): Promise<void>;
  deleteConversation(sessionId: string): Promise<void>;
  conversations(): Promise<Conversation[]>;

  isBlocked(sessionId: string): Promise<boolean>;
  setBlocked(sessionId: string, blocked: boolean): Promise<void>;
  blocked(): Promise<string[]>;

  nodeCache(): Promise<NodeCache | undefined>;
  saveNodeCache(cache: NodeCache): Promise<void>;

  /** The saved config `name` ("UserProfile", "Contacts", "ConvoInfoVolatile"). */
  configDump(name: string): Promise<ConfigDumpRecord | undefined>;
  saveConfigDump(name: string, dump: ConfigDumpRecord): Promise<void>;

  /** Network time minus local time (ms), as last learnt. */
  clockOffset(): Promise<number | undefined>;
  setClockOffset(ms: number): Promise<void>;

  /** Small JSON values an app keeps beside the client's state (bots, services). */
  getValue<T = unknown>(key: string): Promise<T | undefined>;
  setValue(key: string, value: unknown): Promise<void>;
  deleteValue(key: string): Promise<void>;
  /** Keys starting with `prefix`, sorted. */
  keys(prefix: string): Promise<string[]>;

  close(): Promise<void>;
}
