/**
 * Message keys already handled, remembered up to `limit` (the oldest forgotten first): a message
 * reported by several swarm members is notified once.
 */
export class SeenHashes {
  private readonly keys = new Set<string>();

  constructor(private readonly limit: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > this.limit) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }

  /** Forgets a key whose handling failed, so the next report of it is handled. */
  delete(key: string): void {
    this.keys.delete(key);
  }
}
