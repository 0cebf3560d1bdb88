import {
  type AuthRequirement,
  type SignatureVerifier,
  type VerifyAuthOptions,
  verifyAuth,
} from "@session/protocol/rpc";
import { TurnBatch } from "../turn-batch.ts";

/**
 * Runs the signature checks (verifyAuth) of one event-loop turn back to back, in the turn's check
 * phase, in arrival order (TurnBatch says why). The checks and their errors are verifyAuth's own;
 * only the moment changes.
 */
export class TurnBatchedAuth {
  private readonly batch = new TurnBatch();

  constructor(
    private readonly verifier: SignatureVerifier,
    private readonly opts: VerifyAuthOptions = {},
  ) {}

  /** Resolves when `req` passes verifyAuth, rejects with verifyAuth's error otherwise. */
  verify(req: AuthRequirement): Promise<void> {
    return this.batch.run(() => verifyAuth(this.verifier, req, this.opts));
  }

  /** Requests waiting for this turn's check phase. */
  get pending(): number {
    return this.batch.pending;
  }
}
