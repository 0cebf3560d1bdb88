import { statusErrorClass } from "@session/errors";

export type PeerErrorCode =
  /** The peer answered with a status other than 200 (`status`). */
  | "PEER_REFUSED"
  /** No answer in time (the request's timeout, or the node link's). */
  | "PEER_TIMEOUT"
  /** Refused, reset, unreachable, or the link failed otherwise. */
  | "PEER_UNREACHABLE";

/**
 * Why a swarm peer did not take a forward or an import. `retryable` is decided here, once, for
 * the fan-out and redelivery alike: no answer, a timeout, a 5xx, or a 421 (the peer's registry
 * view lags ours) are worth another attempt; any other refusal is the peer's decision.
 */
export class PeerError extends statusErrorClass<PeerErrorCode>(
  "PeerError",
  (_code, status) => status === undefined || status >= 500 || status === 421,
) {
  /** The failure a peer's answer stands for; undefined for a 200. */
  static ofAnswer(res: { status: number }): PeerError | undefined {
    if (res.status === 200) return undefined;
    return new PeerError("PEER_REFUSED", `peer answered HTTP ${res.status}`, res.status);
  }

  /** A request to a peer that threw: it timed out or could not reach the peer. */
  static ofThrown(err: unknown): PeerError {
    if (err instanceof PeerError) return err;
    // AbortSignal.timeout's DOMException and the node link's own timeout are both "TimeoutError".
    const timeout = err instanceof Error && err.name === "TimeoutError";
    return new PeerError(
      timeout ? "PEER_TIMEOUT" : "PEER_UNREACHABLE",
      `peer ${timeout ? "timed out" : "unreachable"}: ${err instanceof Error ? err.message : String(err)}`,
      undefined,
      { cause: err },
    );
  }
}
