import {
  type AuthRequirement,
  type SignatureVerifier,
  type VerifyAuthOptions,
  verifyAuth,
} from "@session/protocol/rpc";
import type { CryptoThread, SignatureCheck } from "../crypto-thread.ts";
import { TurnQueue } from "../turn-batch.ts";

export interface TurnBatchedAuthOptions extends VerifyAuthOptions {
  /**
   * Runs a turn's signature checks on this thread (src/crypto-thread.ts) when the turn has at least
   * `threadMinBatch` requests; smaller turns, and every turn once the thread has failed, check on
   * the event loop.
   */
  thread?: CryptoThread | undefined;
  /** Default 2: one request alone gains nothing from the hop and would wait for it. */
  threadMinBatch?: number;
}

interface Waiting {
  req: AuthRequirement;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Runs the signature checks (verifyAuth) of one event-loop turn back to back, in the turn's check
 * phase, in arrival order (TurnQueue says why). The checks and their errors are verifyAuth's own;
 * only the moment changes — and, with a thread, where the Ed25519 work runs.
 *
 * With a thread, each request goes through verifyAuth twice: first with a verifier that records
 * the signature checks it asks for (answering "valid", so every check it would reach is
 * recorded; any other refusal — key mismatch, revoked or insufficient subaccount — is final
 * there), then, once the thread has answered, with a verifier that replays those answers in the
 * same order. verifyAuth is deterministic, so the second pass stops at the same check, with the
 * same error, as one pass with the real verifier would.
 */
export class TurnBatchedAuth {
  private readonly waiting = new TurnQueue<Waiting>((batch) => this.flush(batch));
  private readonly minBatch: number;

  constructor(
    private readonly verifier: SignatureVerifier,
    private readonly opts: TurnBatchedAuthOptions = {},
  ) {
    this.minBatch = opts.threadMinBatch ?? 2;
  }

  /** Resolves when `req` passes verifyAuth, rejects with verifyAuth's error otherwise. */
  verify(req: AuthRequirement): Promise<void> {
    return new Promise<void>((resolve, reject) => this.waiting.push({ req, resolve, reject }));
  }

  /** Requests waiting for this turn's check phase. */
  get pending(): number {
    return this.waiting.pending;
  }

  private flush(batch: Waiting[]): void {
    const thread = this.opts.thread;
    if (!thread || batch.length < this.minBatch || !thread.usable) {
      for (const w of batch) this.settle(w, this.verifier);
      return;
    }
    const checks: SignatureCheck[] = [];
    const sent: { w: Waiting; from: number }[] = [];
    for (const w of batch) {
      const from = checks.length;
      const recorder: SignatureVerifier = {
        verify: (signature, message, publicKey) => {
          checks.push({ signature, message, publicKey });
          return true;
        },
        ed25519PubkeyToX25519: (pk) => this.verifier.ed25519PubkeyToX25519(pk),
      };
      try {
        verifyAuth(recorder, w.req, this.opts);
        sent.push({ w, from });
      } catch (err) {
        checks.length = from;
        w.reject(err);
      }
    }
    if (sent.length === 0) return;
    thread.verify(checks).then(
      (results) => {
        for (const { w, from } of sent) {
          let next = from;
          this.settle(w, {
            verify: () => results[next++] === true,
            ed25519PubkeyToX25519: (pk) => this.verifier.ed25519PubkeyToX25519(pk),
          });
        }
      },
      // The thread went away mid-batch: these requests are checked here instead.
      () => {
        for (const { w } of sent) this.settle(w, this.verifier);
      },
    );
  }

  private settle(w: Waiting, verifier: SignatureVerifier): void {
    try {
      verifyAuth(verifier, w.req, this.opts);
      w.resolve();
    } catch (err) {
      w.reject(err);
    }
  }
}
