import type { NodeInfo } from "@session/protocol/swarm";
import { PeerError } from "../replication/peer-error.ts";
import type { RpcHandlerDeps } from "./handler.ts";

// How a client's swarm-wide request reaches the other members of this node's swarm (split out of
// handler.ts, whose RpcHandler calls this before answering).

export type FanOutDeps = Pick<RpcHandlerDeps, "membership" | "peers" | "redelivery">;

/**
 * Forwards the client's request to every swarm peer and merges their signed entries. What a peer
 * could not take — no answer, a timeout, a 5xx, a 421 while its registry view lags — goes to
 * redelivery: a store (`storedHash`) as its message, anything else as the signed request itself.
 */
export async function fanOut(
  d: FanOutDeps,
  raw: unknown,
  method: string,
  swarm: Record<string, unknown>,
  storedHash?: string,
): Promise<void> {
  const peers = d.membership.peers();
  const body = raw && typeof raw === "object" && "method" in (raw as object) ? raw : { method, params: raw };
  if (peers.length === 0) return;
  // Serialised and signed once for all peers.
  const signed = d.peers.sign({ action: "forward", request: body });
  const retry = (peer: NodeInfo) => {
    if (storedHash) d.redelivery?.add(peer, storedHash);
    else d.redelivery?.addForward(peer, body);
  };
  await Promise.all(
    peers.map(async (peer: NodeInfo) => {
      try {
        const res = await d.peers.send(peer, signed);
        const entry = (res.body as { swarm?: Record<string, unknown> })?.swarm?.[peer.pubkey_ed25519];
        // oxenss: a peer's refusal is {failed, code, reason}; an answer without its entry is
        // {failed, bad_peer_response}.
        swarm[peer.pubkey_ed25519] =
          res.status === 200 && entry
            ? entry
            : res.status === 200
              ? { failed: true, bad_peer_response: true }
              : {
                  failed: true,
                  code: res.status,
                  ...(typeof res.body === "string" ? { reason: res.body } : {}),
                };
        if (PeerError.ofAnswer(res)?.retryable) retry(peer);
      } catch (err) {
        const failed = PeerError.ofThrown(err);
        if (failed.retryable) retry(peer);
        swarm[peer.pubkey_ed25519] =
          failed.code === "PEER_TIMEOUT"
            ? { failed: true, timeout: true }
            : { failed: true, query_failure: true };
      }
    }),
  );
}
