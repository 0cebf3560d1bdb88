/**
 * Nodes whose monitor stream failed, by stream key (ed25519@url): avoided when accounts are placed
 * until their time runs out, and the failures in a row counted for the reconnect backoff.
 */
export class FailedNodes {
  /** A positive count is avoided until `until`; a negative one is only kept for the backoff. */
  private readonly byKey = new Map<string, { count: number; until: number }>();

  /** Records a failure, avoiding the node until `until`; returns the failures in a row. */
  fail(key: string, until: number): number {
    const count = Math.abs(this.byKey.get(key)?.count ?? 0) + 1;
    this.byKey.set(key, { count, until });
    return count;
  }

  /** A stream to the node opened: nothing left to avoid or back off from. */
  opened(key: string): void {
    this.byKey.delete(key);
  }

  isAvoided(key: string, now: number): boolean {
    const f = this.byKey.get(key);
    return f !== undefined && f.count > 0 && f.until > now;
  }

  /** Ends the avoidances that have run out (their counts stay for the backoff); true if any did. */
  endLapsed(now: number): boolean {
    let ended = false;
    for (const f of this.byKey.values())
      if (f.count > 0 && f.until <= now) {
        ended = true;
        f.count = -f.count;
      }
    return ended;
  }

  /** Forgets the nodes not in `listed`: records of nodes that left the list are of no further use. */
  keepOnly(listed: ReadonlySet<string>): void {
    for (const k of this.byKey.keys()) if (!listed.has(k)) this.byKey.delete(k);
  }
}
