// The shapes the Session Name Service client reads and writes: a name's on-chain state, the
// registry's options, and a commit–reveal registration in progress.
import type { Progress } from "@session/contracts/wallet";
import type { Provider, Signer } from "ethers";

/** What the chain says about a name. */
export interface NameInfo {
  /** The lower-cased name. */
  name: string;
  /** BLAKE2b-256 of the name (0x hex): the token id and the `ons_resolve` key. */
  nameHash: string;
  owner: string;
  /** Unix seconds. */
  expiry: number;
  /** Unix seconds until which only the owner can renew; after it anyone may register the name. */
  graceEnds: number;
  /** `active`, `grace` (expired, the owner can still renew) or `expired` (free to register). */
  state: "active" | "grace" | "expired";
  /** The length the registrant declared; clients ignore a registration where it is false. */
  declaredLength: number;
  /** The Session ID the record decrypts to (null once expired, or when it does not decrypt). */
  sessionId: string | null;
  /** Chain time the answer was read at (unix seconds). */
  now: number;
}

export interface NameRegistryOptions {
  /** The SessionNameService address (deployments/<network>.json `sessionNameService`). */
  address: string;
  provider: Provider;
  /** The wallet that registers, pays and owns names; reads need none. */
  signer?: Signer | undefined;
  /** Lines telling what a long operation is doing (commit, waiting for chain time, mined…). */
  progress?: Progress | undefined;
  /** How often chain time is polled while a commitment matures (ms, default 1000). */
  pollMs?: number | undefined;
  /** How often a long wait reports (ms, default 5000). */
  reportEveryMs?: number | undefined;
}

/**
 * A registration committed but not yet revealed: what a later run needs to reveal it (the
 * commitment binds name, length, owner, record and secret). Keep it private until revealed; it
 * cannot be used by another wallet (the owner is part of the commitment).
 */
export interface PendingRegistration {
  name: string;
  sessionId: string;
  owner: string;
  years: number;
  /** 0x hex of the encrypted record (it has a random nonce, so it must be kept as committed). */
  record: string;
  secret: string;
  commitment: string;
}

export interface RegisterOptions {
  /** 1–10, default 1. */
  years?: number | undefined;
  /** An earlier, interrupted run's registration: reused when it matches and is still on chain. */
  resume?: PendingRegistration | undefined;
  /** Called with a new registration before its commitment is sent (to keep it for `resume`). */
  onPending?: ((p: PendingRegistration) => void | Promise<void>) | undefined;
}

export interface RegisterResult {
  name: string;
  nameHash: string;
  owner: string;
  expiry: number;
  /** SESH paid, in base units. */
  cost: bigint;
  txHash: string;
}
