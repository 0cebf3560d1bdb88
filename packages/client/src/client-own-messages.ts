// Messages already in the account's own swarm, changed by the account: their expiry (after-read
// timers start here) and their deletion, each request signed with the account's key.
import { signRpcParams } from "@session/protocol";
import { type SwarmNetwork, signerOf, swarmRpc } from "./client-network.ts";
import type { Identity } from "./identity.ts";
import type { RpcReply } from "./network/transport.ts";

/** Sets the expiry (unix ms) of `hashes` in the account's swarm. */
export function expireOwnMessages(
  net: SwarmNetwork,
  identity: Identity,
  hashes: string[],
  expiry: number,
): Promise<RpcReply> {
  const pubkey = identity.sessionId;
  const params = signRpcParams("expire", { pubkey, messages: hashes, expiry }, signerOf(identity));
  return swarmRpc(net, pubkey, "expire", params);
}

/** Deletes `hashes` from the account's swarm. */
export function deleteOwnMessages(
  net: SwarmNetwork,
  identity: Identity,
  hashes: string[],
): Promise<RpcReply> {
  const pubkey = identity.sessionId;
  const params = signRpcParams("delete", { pubkey, messages: hashes }, signerOf(identity));
  return swarmRpc(net, pubkey, "delete", params);
}
