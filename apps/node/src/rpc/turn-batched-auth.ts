import {
  type AuthRequirement,
  type SignatureVerifier,
  type VerifyAuthOptions,
  verifyAuth,
} from "@session/protocol";

/**
 * Runs the signature checks (verifyAuth) of one event-loop turn back to back, in the turn's check
 * phase, in arrival order. The checks and their errors are verifyAuth's own; only the moment
 * changes. Why: libsodium's WASM Ed25519 verify costs about 1.5× its tight-loop time when each one
 * is interleaved with parsing, SQLite and HTTP work (its code and tables fall out of the CPU
 * caches); a turn of a busy node holds several requests, and checking them together keeps the
 * verifier warm (`pnpm bench`: store pipeline floor with and without).
 */
export class TurnBatchedAuth {
  private queue: { req: AuthRequirement; resolve(): void; reject(err: unknown): void }[] = [];

  constructor(
    private readonly verifier: SignatureVerifier,
    private readonly opts: VerifyAuthOptions = {},
  ) {}

  /** Resolves when `req` passes verifyAuth, rejects with verifyAuth's error otherwise. */
  verify(req: AuthRequirement): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.run());
    });
  }

  /** Requests waiting for this turn's check phase. */
  get pending(): number {
    return this.queue.length;
  }

  private run(): void {
    const batch = this.queue;
    this.queue = [];
    for (const item of batch) {
      try {
        verifyAuth(this.verifier, item.req, this.opts);
        item.resolve();
      } catch (err) {
        item.reject(err);
      }
    }
  }
}
