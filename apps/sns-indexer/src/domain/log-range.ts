/**
 * Block span of the next `eth_getLogs` call during a backfill. Arbitrum makes ~4 blocks a second,
 * so 30 days is ~10M blocks with few events: a fixed small span means thousands of empty calls, a
 * fixed large one is refused by most providers. The span doubles after an empty answer (up to
 * `max`), halves when the provider refuses the range (down to 1), and stays after a non-empty one.
 */
export class AdaptiveLogRange {
  private span: number;

  constructor(
    initial: number,
    readonly max: number,
  ) {
    if (!Number.isInteger(initial) || initial < 1) throw new Error("initial span must be a positive integer");
    if (!Number.isInteger(max) || max < initial) throw new Error("max span must be an integer ≥ initial");
    this.span = initial;
  }

  get size(): number {
    return this.span;
  }

  /** The provider answered `events` logs for the span just asked. */
  answered(events: number): void {
    if (events === 0) this.span = Math.min(this.max, this.span * 2);
  }

  /** The provider refused the range (too many blocks or results); ask for half. */
  refused(): void {
    if (this.span === 1) throw new Error("the provider refuses even a one-block eth_getLogs range");
    this.span = Math.max(1, Math.floor(this.span / 2));
  }
}

/**
 * Whether an eth_getLogs error means "ask for a smaller range" (block-range or result-count limits,
 * as providers word them; JSON-RPC -32005 "limit exceeded") rather than a transient failure.
 */
export function isRangeRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; error?: { code?: unknown; message?: unknown }; message?: unknown };
  const code = e?.error?.code ?? e?.code;
  if (code === -32005) return true;
  const text = `${String(e?.error?.message ?? "")} ${String(e?.message ?? "")}`.toLowerCase();
  return /block range|range (is )?too (large|wide|big)|too many (blocks|results|logs)|query returned more than|response size|limit exceeded|exceeds? (the )?(max|limit)/.test(
    text,
  );
}
