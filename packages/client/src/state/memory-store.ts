import type { ClientStore, ConfigDumpRecord, Conversation, NodeCache } from "./store.ts";

/**
 * A {@link ClientStore} that forgets everything when the process ends (tests, one-off clients).
 *
 * @example
 * ```ts
 * import { createIdentity, MemoryClientStore, SessionClient } from "@session/client";
 *
 * const client = new SessionClient({
 *   identity: createIdentity(),
 *   seeds: ["http://127.0.0.1:22023"],
 *   store: new MemoryClientStore(),
 * });
 * ```
 */
export class MemoryClientStore implements ClientStore {
  private readonly hashes = new Map<string, string>();
  private readonly seen = new Map<string, number>();
  private readonly convos = new Map<string, Conversation>();
  private readonly blockedSet = new Set<string>();
  private readonly values = new Map<string, string>();
  private nodes: NodeCache | undefined;
  private offset: number | undefined;
  private readonly configs = new Map<string, ConfigDumpRecord>();

  async lastHash(node: string, namespace: number) {
    return this.hashes.get(`${node}/${namespace}`);
  }
  async setLastHash(node: string, namespace: number, hash: string) {
    this.hashes.set(`${node}/${namespace}`, hash);
  }
  async markSeen(hash: string, expiresAt: number) {
    if (this.seen.has(hash)) return false;
    this.seen.set(hash, expiresAt);
    return true;
  }
  async pruneSeen(now: number) {
    for (const [h, exp] of this.seen) if (exp < now) this.seen.delete(h);
  }
  async conversation(sessionId: string) {
    const c = this.convos.get(sessionId);
    return c ? { ...c } : undefined;
  }
  async putConversation(c: Conversation) {
    this.convos.set(c.sessionId, { ...c });
  }
  async deleteConversation(sessionId: string) {
    this.convos.delete(sessionId);
  }
  async conversations() {
    return [...this.convos.values()].sort((a, b) => a.createdAt - b.createdAt).map((c) => ({ ...c }));
  }
  async isBlocked(sessionId: string) {
    return this.blockedSet.has(sessionId);
  }
  async setBlocked(sessionId: string, blocked: boolean) {
    if (blocked) this.blockedSet.add(sessionId);
    else this.blockedSet.delete(sessionId);
  }
  async blocked() {
    return [...this.blockedSet].sort();
  }
  async nodeCache() {
    return this.nodes;
  }
  async saveNodeCache(cache: NodeCache) {
    this.nodes = cache;
  }
  async configDump(name: string) {
    const d = this.configs.get(name);
    return d ? { ...d } : undefined;
  }
  async saveConfigDump(name: string, dump: ConfigDumpRecord) {
    this.configs.set(name, { ...dump });
  }
  async clockOffset() {
    return this.offset;
  }
  async setClockOffset(ms: number) {
    this.offset = ms;
  }
  async getValue<T>(key: string) {
    const v = this.values.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async setValue(key: string, value: unknown) {
    this.values.set(key, JSON.stringify(value));
  }
  async deleteValue(key: string) {
    this.values.delete(key);
  }
  async keys(prefix: string) {
    return [...this.values.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async close() {}
}
