import { EventEmitter } from "node:events";
import { type AccountKeys, toHex } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import { RpcHandler, type RpcHandlerDeps } from "../../src/rpc/handler.ts";
import { SubaccountRevocations } from "../../src/storage/revocations.ts";
import type { MessageStore } from "../../src/storage/store.ts";
import { Membership } from "../../src/swarm/membership.ts";
import { silent } from "./node-net.ts";

/**
 * One node's storage RPC without HTTP (tests call `handle`): the node `keys` in swarm "0" with
 * `others`, over `store`. `deps` gives the clock, peers and whatever else a suite sets.
 */
export function rpcHandlerInSwarm(
  keys: AccountKeys,
  store: MessageStore,
  deps: Pick<RpcHandlerDeps, "clock" | "peers"> & Partial<RpcHandlerDeps>,
  others: NodeInfo[] = [],
): RpcHandler {
  const selfHex = toHex(keys.ed25519.publicKey);
  const membership = new Membership(selfHex);
  membership.update([
    {
      pubkey_ed25519: selfHex,
      pubkey_x25519: toHex(keys.x25519.publicKey),
      public_ip: "127.0.0.1",
      storage_port: 1,
      swarm_id: "0",
    },
    ...others,
  ]);
  return new RpcHandler({
    store,
    revocations: new SubaccountRevocations(store.db),
    membership,
    keys,
    selfEd25519Hex: selfHex,
    events: new EventEmitter(),
    logger: silent,
    ...deps,
  });
}
