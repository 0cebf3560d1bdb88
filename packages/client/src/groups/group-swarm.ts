// The group's swarm as one account talks to it: every request signed with the group key (admins)
// or the subaccount an admin gave us (members), and a refused one turned into a ClientError.
import { toBase64 } from "@session/crypto";
import { type NodeInfo, type ParamsSigner, signRpcParams } from "@session/protocol";
import type { RpcReply } from "../network/transport.ts";
import { groupSigner, revokeParams } from "./group-auth.ts";
import { type RetrievedRaw, requestFailed, retrieveAll } from "./group-retrieve.ts";

/**
 * What a group needs from the client: swarm RPCs (through onion paths) and network time (this
 * device's clock corrected by the offset learnt from nodes) for everything it signs or stamps.
 */
export interface GroupNetwork {
  now(): number;
  swarmRpc(
    account: string,
    method: string,
    params: Record<string, unknown> | ((dest: NodeInfo) => unknown),
  ): Promise<RpcReply & { node: NodeInfo }>;
}

/** What signs for us in the group: its secret key when we are an admin, else our subaccount data. */
export interface GroupCredentials {
  groupSk: Uint8Array | undefined;
  authData: Uint8Array | undefined;
}

export class GroupSwarm {
  /** The last message hash seen per node and namespace, so retrieves fetch only what is new. */
  private readonly lastHash = new Map<string, string>();

  constructor(
    private readonly net: GroupNetwork,
    private readonly id: string,
    private readonly credentials: () => GroupCredentials,
    private readonly ed25519Sk: Uint8Array,
  ) {}

  /** Signs as the credentials held now (a promotion changes them). */
  signer(): ParamsSigner {
    return groupSigner(this.credentials(), this.ed25519Sk);
  }

  /** Stores `data` in `namespace`; its hash and the timestamp it was stored with. */
  async store(namespace: number, data: Uint8Array, ttl: number, timestamp = this.net.now()) {
    const params = signRpcParams(
      "store",
      { pubkey: this.id, namespace, timestamp, ttl, data: toBase64(data) },
      this.signer(),
    );
    const r = await this.net.swarmRpc(this.id, "store", params);
    if (r.status !== 200) throw requestFailed("group store", r);
    return { hash: (r.body as { hash: string }).hash, timestamp };
  }

  /** Sets the expiry of stored messages. */
  async expire(hashes: string[], expiry: number): Promise<void> {
    const params = signRpcParams("expire", { pubkey: this.id, messages: hashes, expiry }, this.signer());
    const r = await this.net.swarmRpc(this.id, "expire", params);
    if (r.status !== 200) throw requestFailed("expire", r);
  }

  /** Admins: revokes the subaccount tokens of `sessionIds`. */
  async revoke(groupSk: Uint8Array, sessionIds: readonly string[]): Promise<void> {
    const revoke = revokeParams(this.id, groupSk, [...sessionIds], this.net.now());
    const r = await this.net.swarmRpc(this.id, "revoke_subaccount", revoke);
    if (r.status !== 200) throw requestFailed("revoke_subaccount", r);
  }

  /** New messages of `namespaces` since the last retrieve. */
  retrieve(namespaces: number[]): Promise<Map<number, RetrievedRaw[]>> {
    return retrieveAll(
      { net: this.net, id: this.id, signer: () => this.signer(), lastHash: this.lastHash },
      namespaces,
    );
  }
}
