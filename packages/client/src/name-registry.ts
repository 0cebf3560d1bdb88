// Session names on the chain (the SessionNameService contract): register (commit–reveal), renew,
// look up, replace the record, transfer. The record is the Session ID encrypted for the name in
// libsession's ONS format (@session/crypto encryptNameRecord), so nodes can answer `ons_resolve`
// with it and only someone who knows the name can read it; the name itself never goes on chain.
import { seshAbi, sessionNameServiceAbi } from "@session/contracts/abis";
import {
  ChainError,
  chainTime,
  type Progress,
  revertReason,
  sendAndWait,
  waitForChainTime,
} from "@session/contracts/wallet";
import {
  CryptoError,
  decryptNameRecord,
  encryptNameRecord,
  isSessionId,
  nameHashHex,
  normalizeName,
  SessionIdPrefix,
} from "@session/crypto";
import {
  Contract,
  type ContractTransactionResponse,
  formatUnits,
  getAddress,
  getBytes,
  hexlify,
  type Provider,
  randomBytes,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import { ClientError, type ClientErrorCode } from "./errors.ts";

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

/** The contract's custom errors as a user should read them. */
const CONTRACT_ERRORS: Record<string, [ClientErrorCode, string]> = {
  NameUnavailable: ["NAME_TAKEN", "the name is taken"],
  NameNotRegistered: ["NAME_NOT_FOUND", "the name is not registered"],
  NotNameOwner: ["NOT_NAME_OWNER", "the wallet does not own this name"],
  NameExpired: ["NAME_EXPIRED", "the name has expired (its owner can renew it during the grace period)"],
  PastGracePeriod: ["NAME_EXPIRED", "the name expired past its grace period: register it again"],
  InvalidYears: ["BAD_ARGUMENT", "a registration runs 1 to 10 years"],
  InvalidLength: ["BAD_NAME", "the name's length is out of range"],
  InvalidRecordSize: ["BAD_ARGUMENT", "the record is not 73 bytes"],
  CommitmentTooNew: ["TRANSACTION_FAILED", "the commitment is not old enough yet"],
  CommitmentTooOld: ["TRANSACTION_FAILED", "the commitment is over a day old: register again"],
  CommitmentUnknown: ["TRANSACTION_FAILED", "the chain knows no such commitment"],
  EnforcedPause: ["TRANSACTION_FAILED", "the name service is paused"],
  ERC20InsufficientBalance: ["INSUFFICIENT_FUNDS", "the wallet does not hold enough SESH"],
  ERC20InsufficientAllowance: ["INSUFFICIENT_FUNDS", "the name service may not take enough SESH"],
  ERC721InvalidReceiver: ["BAD_ARGUMENT", "the receiving contract cannot hold names"],
};

/**
 * A lower-cased valid name, or BAD_NAME saying which rule it breaks.
 *
 * @example
 * ```ts
 * import { checkName } from "@session/client";
 *
 * const name = checkName("Alice"); // "alice"
 * ```
 */
export function checkName(name: string): string {
  try {
    return normalizeName(name);
  } catch (e) {
    const why = e instanceof CryptoError ? e.message : String(e);
    throw new ClientError("BAD_NAME", `"${name}" is not a valid name: ${why}`, undefined, { cause: e });
  }
}

/**
 * A 05 Session ID (lower-cased), or BAD_RECIPIENT.
 *
 * @example
 * ```ts
 * import { checkSessionId } from "@session/client";
 *
 * const id = checkSessionId("05" + "AB".repeat(32)); // "05abab…"
 * ```
 */
export function checkSessionId(id: string): string {
  if (!isSessionId(id, SessionIdPrefix.Standard))
    throw new ClientError("BAD_RECIPIENT", `"${id}" is not a Session ID (66 hex digits starting with 05)`);
  return id.toLowerCase();
}

/**
 * The Session Name Service seen from a wallet. Every write checks what it can first (the name
 * free or owned, the wallet's SESH) so the common mistakes fail before a transaction is sent, and a
 * revert that still happens is decoded from its custom error into a ClientError with a stable code.
 *
 * @example
 * ```ts
 * import { NameRegistry } from "@session/client";
 * import { JsonRpcProvider, Wallet } from "ethers";
 *
 * const provider = new JsonRpcProvider("http://127.0.0.1:8545");
 * const signer = new Wallet(walletKey, provider);
 * const sns = new NameRegistry({ address: snsAddress, provider, signer, progress: console.log });
 * await sns.register("alice", me.sessionId);
 * console.log(await sns.lookup("alice"));
 * ```
 */
export class NameRegistry {
  readonly address: string;
  private readonly sns: Contract;
  private readonly provider: Provider;
  private readonly signer: Signer | undefined;
  private readonly progress: Progress;

  constructor(private readonly o: NameRegistryOptions) {
    this.address = getAddress(o.address);
    this.provider = o.provider;
    this.signer = o.signer;
    this.progress = o.progress ?? (() => {});
    this.sns = new Contract(this.address, sessionNameServiceAbi as never, o.signer ?? o.provider);
  }

  /** What the chain holds for `name`, or null when it was never registered (or was challenged away). */
  async lookup(name: string): Promise<NameInfo | null> {
    const n = checkName(name);
    const hash = nameHashHex(n);
    let r: [string, bigint, bigint, string];
    try {
      r = (await this.call("resolve", hash)) as [string, bigint, bigint, string];
    } catch (e) {
      if (e instanceof ClientError && e.code === "NAME_NOT_FOUND") return null;
      throw e;
    }
    const [owner, expiry, length, record] = r;
    const grace = Number(await this.call("GRACE_PERIOD"));
    const now = await chainTime(this.provider);
    const exp = Number(expiry);
    let sessionId: string | null = null;
    const bytes = getBytes(record);
    if (bytes.length > 0) {
      try {
        sessionId = decryptNameRecord(n, bytes);
      } catch {
        sessionId = null;
      }
    }
    return {
      name: n,
      nameHash: hash,
      owner: getAddress(owner),
      expiry: exp,
      graceEnds: exp + grace,
      state: now <= exp ? "active" : now <= exp + grace ? "grace" : "expired",
      declaredLength: Number(length),
      sessionId,
      now,
    };
  }

  /** SESH (base units) to hold `name` for `years`. */
  async price(name: string, years = 1): Promise<bigint> {
    checkYears(years);
    return (await this.call("price", checkName(name).length, years)) as bigint;
  }

  /**
   * Registers `name` to the wallet, its record pointing to `sessionId`: commits a hash of the
   * registration, waits the contract's minimum commitment age in chain time (so nobody can see the
   * name in the mempool and take it first), then reveals and pays.
   */
  async register(name: string, sessionId: string, opts: RegisterOptions = {}): Promise<RegisterResult> {
    const n = checkName(name);
    const id = checkSessionId(sessionId);
    const years = opts.years ?? 1;
    checkYears(years);
    const signer = this.requireSigner();
    const me = getAddress(await signer.getAddress());
    const hash = nameHashHex(n);
    if (!((await this.call("available", hash)) as boolean)) {
      const held = await this.lookup(n);
      const whose = held && held.owner === me ? "this wallet already holds it" : `owned by ${held?.owner}`;
      throw new ClientError(
        "NAME_TAKEN",
        `"${n}" is taken (${whose}, ${held?.state === "grace" ? "in its grace period until" : "until"} ${iso(held?.state === "grace" ? held.graceEnds : held?.expiry)})`,
      );
    }
    const cost = (await this.call("price", n.length, years)) as bigint;
    await this.allow(me, cost, `registering "${n}" for ${years} year${years === 1 ? "" : "s"}`);

    const minAge = Number(await this.call("MIN_COMMITMENT_AGE"));
    const maxAge = Number(await this.call("MAX_COMMITMENT_AGE"));
    // An earlier run's commitment for the same registration, still on chain and young enough
    // to reveal (a minute of margin): reuse it rather than commit (and wait) again.
    const r = opts.resume;
    let committedAt = 0;
    if (r && r.name === n && r.owner === me && r.sessionId === id && r.years === years) {
      const at = Number((await this.call("commitments", r.commitment)) as bigint);
      if (at > 0 && (await chainTime(this.provider)) + 60 < at + maxAge) committedAt = at;
    }
    let pending: PendingRegistration;
    if (r && committedAt > 0) {
      pending = r;
      this.progress(`step 1/3: reusing the commitment to "${n}" made at ${iso(committedAt)} (chain time)`);
    } else {
      const record = hexlify(encryptNameRecord(n, id));
      const secret = hexlify(randomBytes(32));
      const commitment = (await this.call("makeCommitment", hash, n.length, me, record, secret)) as string;
      pending = { name: n, sessionId: id, owner: me, years, record, secret, commitment };
      await opts.onPending?.(pending); // before sending: an interrupted run can pick it up
      this.progress(`step 1/3: committing to "${n}" (the name stays hidden until registered)…`);
      const committed = await this.send("commit", () => this.fn("commit")(commitment));
      const block = await this.provider.getBlock(committed.blockNumber);
      committedAt = block?.timestamp ?? (await chainTime(this.provider));
    }
    const { record, secret } = pending;
    const matureAt = committedAt + minAge;
    this.progress(
      `step 2/3: waiting ${Math.max(0, matureAt - (await chainTime(this.provider)))} s of chain time for the commitment to mature (${minAge} s after it)…`,
    );
    await waitForChainTime(this.provider, matureAt, {
      progress: this.progress,
      label: "commitment",
      pollMs: this.o.pollMs,
      reportEveryMs: this.o.reportEveryMs,
      timeoutMs: 30 * 60_000,
    });
    this.progress(`step 3/3: registering "${n}" for ${formatSesh(cost)}…`);
    const receipt = await this.send("register", () =>
      this.fn("register")(hash, n.length, record, years, secret),
    );
    let expiry = 0;
    for (const log of receipt.logs) {
      const parsed = safeParseLog(this.sns, log);
      if (parsed?.name === "NameRegistered") expiry = Number(parsed.args.expiry);
    }
    return { name: n, nameHash: hash, owner: me, expiry, cost, txHash: receipt.hash };
  }

  /** Extends `name` by `years` (anyone may pay for a live name; during its grace only the owner). */
  async renew(name: string, opts: { years?: number } = {}): Promise<{ expiry: number; cost: bigint }> {
    const years = opts.years ?? 1;
    checkYears(years);
    const signer = this.requireSigner();
    const me = getAddress(await signer.getAddress());
    const info = await this.requireName(name);
    if (info.state === "expired")
      throw new ClientError(
        "NAME_EXPIRED",
        `"${info.name}" expired past its grace period on ${iso(info.graceEnds)}: register it again`,
      );
    if (info.state === "grace" && info.owner !== me)
      throw new ClientError(
        "NOT_NAME_OWNER",
        `"${info.name}" has expired: during its grace period (until ${iso(info.graceEnds)}) only its owner ${info.owner} can renew it`,
      );
    const cost = (await this.call("price", info.declaredLength, years)) as bigint;
    await this.allow(me, cost, `renewing "${info.name}" for ${years} year${years === 1 ? "" : "s"}`);
    const receipt = await this.send("renew", () => this.fn("renew")(info.nameHash, years));
    let expiry = info.expiry;
    for (const log of receipt.logs) {
      const parsed = safeParseLog(this.sns, log);
      if (parsed?.name === "NameRenewed") expiry = Number(parsed.args.expiry);
    }
    return { expiry, cost };
  }

  /** Points `name` (owned by the wallet, not expired) to another Session ID. */
  async setRecord(name: string, sessionId: string): Promise<void> {
    const id = checkSessionId(sessionId);
    const info = await this.requireOwned(name);
    await this.send("setRecord", () =>
      this.fn("setRecord")(info.nameHash, hexlify(encryptNameRecord(info.name, id))),
    );
  }

  /** Gives `name` (owned by the wallet, not expired) to another address; the record stays. */
  async transfer(name: string, to: string): Promise<void> {
    let dest: string;
    try {
      dest = getAddress(to);
    } catch (e) {
      throw new ClientError("BAD_ARGUMENT", `"${to}" is not an address (0x + 40 hex digits)`, undefined, {
        cause: e,
      });
    }
    const info = await this.requireOwned(name);
    if (dest === info.owner) throw new ClientError("BAD_ARGUMENT", `${dest} already owns "${info.name}"`);
    await this.send("transfer", () =>
      this.fn("safeTransferFrom(address,address,uint256)")(info.owner, dest, BigInt(info.nameHash)),
    );
  }

  // ------------------------------------------------------------------ helpers

  private requireSigner(): Signer {
    if (!this.signer) throw new ClientError("BAD_ARGUMENT", "this needs a wallet (a signer)");
    return this.signer;
  }

  private async requireName(name: string): Promise<NameInfo> {
    const info = await this.lookup(name);
    if (!info) throw new ClientError("NAME_NOT_FOUND", `"${checkName(name)}" is not registered`);
    return info;
  }

  private async requireOwned(name: string): Promise<NameInfo> {
    const me = getAddress(await this.requireSigner().getAddress());
    const info = await this.requireName(name);
    if (info.owner !== me)
      throw new ClientError(
        "NOT_NAME_OWNER",
        `"${info.name}" belongs to ${info.owner}, not to this wallet ${me}`,
      );
    if (info.state !== "active")
      throw new ClientError(
        "NAME_EXPIRED",
        `"${info.name}" expired on ${iso(info.expiry)}${info.state === "grace" ? `: renew it before ${iso(info.graceEnds)}` : ""}`,
      );
    return info;
  }

  /** Makes sure the name service may take `cost` SESH from the wallet (one approve when needed). */
  private async allow(me: string, cost: bigint, what: string): Promise<void> {
    const token = new Contract(
      (await this.call("token")) as string,
      seshAbi as never,
      this.signer ?? this.provider,
    );
    const balance = (await token.getFunction("balanceOf")(me)) as bigint;
    if (balance < cost)
      throw new ClientError(
        "INSUFFICIENT_FUNDS",
        `${what} costs ${formatSesh(cost)}; the wallet ${me} holds ${formatSesh(balance)}`,
      );
    const allowance = (await token.getFunction("allowance")(me, this.address)) as bigint;
    if (allowance >= cost) return;
    this.progress(`allowing the name service to take ${formatSesh(cost)}…`);
    await this.send("approve", () => token.getFunction("approve")(this.address, cost), token);
  }

  private fn(signature: string) {
    return this.sns.getFunction(signature);
  }

  /** A read; a revert becomes a ClientError. */
  private async call(method: string, ...args: unknown[]): Promise<unknown> {
    try {
      return await this.sns.getFunction(method).staticCall(...args);
    } catch (e) {
      throw this.explain(method, e);
    }
  }

  private async send(
    label: string,
    tx: () => Promise<ContractTransactionResponse>,
    contract: Contract = this.sns,
  ): Promise<TransactionReceipt> {
    try {
      return await sendAndWait(label, tx, {
        progress: this.progress,
        iface: contract.interface,
        reportEveryMs: this.o.reportEveryMs,
      });
    } catch (e) {
      throw this.explain(label, e instanceof ChainError && e.cause ? e.cause : e, contract);
    }
  }

  /** A contract revert → ClientError with the custom error named and explained. */
  private explain(what: string, e: unknown, contract: Contract = this.sns): Error {
    if (e instanceof ClientError) return e;
    const reason = revertReason(e, contract.interface);
    const custom = /^(\w+)\(/.exec(reason)?.[1];
    const known = custom ? CONTRACT_ERRORS[custom] : undefined;
    if (known) return new ClientError(known[0], `${what}: ${known[1]} (${reason})`, undefined, { cause: e });
    const code = (e as { code?: string }).code;
    if (code === "INSUFFICIENT_FUNDS")
      return new ClientError("INSUFFICIENT_FUNDS", `${what}: the wallet cannot pay for gas`, undefined, {
        cause: e,
      });
    return new ClientError("TRANSACTION_FAILED", `${what}: ${reason}`, undefined, { cause: e });
  }
}

function checkYears(years: number): void {
  if (!Number.isInteger(years) || years < 1 || years > 10)
    throw new ClientError("BAD_ARGUMENT", `years must be a whole number from 1 to 10, not ${years}`);
}

function safeParseLog(c: Contract, log: { topics: readonly string[]; data: string }) {
  try {
    return c.interface.parseLog(log);
  } catch {
    return null;
  }
}

/** SESH has 9 decimals. */
/**
 * An amount of SESH (9 decimals, as the token counts it) for people to read.
 *
 * @example
 * ```ts
 * import { formatSesh } from "@session/client";
 *
 * formatSesh(1_500_000_000n); // "1.5 SESH"
 * ```
 */
export const formatSesh = (v: bigint) => `${formatUnits(v, 9)} SESH`;

const iso = (unixSeconds: number | undefined) =>
  unixSeconds === undefined ? "?" : new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");
