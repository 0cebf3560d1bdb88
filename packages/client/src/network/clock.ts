/**
 * The network's time as this device sees it. Nodes put their clock (`t`, unix ms) in their
 * answers; the offset to ours is learnt from those (the median of the last few, each corrected by
 * half the round trip), and every timestamp the client signs or stores is local time plus that
 * offset, as Session's clients do, so a device whose clock is minutes off still works.
 */
export class NetworkClock {
  private readonly samples: number[] = [];
  private current: number;

  constructor(
    private readonly local: () => number = Date.now,
    initialOffset = 0,
    private readonly onChange?: (offset: number) => void,
    private readonly keep = 5,
  ) {
    this.current = initialOffset;
  }

  /** Network time now (ms). */
  now(): number {
    return this.local() + this.current;
  }

  /** Network time minus local time (ms). */
  get offset(): number {
    return this.current;
  }

  /** Starts from an offset learnt in an earlier run (until answers say otherwise). */
  adopt(offset: number): void {
    if (this.samples.length === 0) this.current = offset;
  }

  /** Local time (ms), for measuring round trips around a request. */
  localNow(): number {
    return this.local();
  }

  /**
   * Learns from a node's answer: `t` its clock when answering, `sentAt`/`receivedAt` local times
   * around the request. Answers without a numeric `t` are ignored.
   */
  observe(body: unknown, sentAt: number, receivedAt: number): void {
    const t = (body as { t?: unknown } | null)?.t;
    if (typeof t !== "number" || !Number.isFinite(t) || receivedAt < sentAt) return;
    this.samples.push(t - (sentAt + receivedAt) / 2);
    if (this.samples.length > this.keep) this.samples.shift();
    const sorted = [...this.samples].sort((a, b) => a - b);
    const median = Math.round(sorted[Math.floor(sorted.length / 2)]!);
    // Jitter below a second is not worth a write.
    if (Math.abs(median - this.current) >= 1000 || this.samples.length === 1) {
      const changed = median !== this.current;
      this.current = median;
      if (changed) this.onChange?.(median);
    }
  }
}
