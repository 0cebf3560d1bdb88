import type { PinnedSeed } from "@session/node-tls";
import type { LokiProfile } from "@session/protocol";
import type { FileServerConfig } from "./attachments.ts";
import type { Identity } from "./identity.ts";
import type { NodeHealthOptions } from "./network/node-health.ts";
import type { PushServerConfig } from "./push.ts";
import type { ClientStore } from "./state/store.ts";

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

/** Message TTL when neither the call nor the client sets one: 14 days, as Session. */
export const DEFAULT_TTL = 14 * 24 * 3600 * 1000;
