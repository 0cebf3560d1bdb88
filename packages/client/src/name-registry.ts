// Session names on the chain (the SessionNameService contract): register (commit–reveal), renew,
// look up, replace the record, transfer. The record is the Session ID encrypted for the name in
// libsession's ONS format (@session/crypto encryptNameRecord), so nodes can answer `ons_resolve`
// with it and only someone who knows the name can read it; the name itself never goes on chain.
import { chainTime, type Progress, waitForChainTime } from "@session/contracts/wallet";
import { decryptNameRecord, encryptNameRecord, nameHashHex } from "@session/crypto";
import { getAddress, getBytes, hexlify, type Provider, randomBytes, type Signer } from "ethers";
import { ClientError } from "./errors.ts";
import { checkName, checkSessionId, checkYears, formatSesh, iso } from "./name-checks.ts";
import { NameServiceContract } from "./name-service-contract.ts";
import type * as Names from "./name-types.ts";

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
  private readonly c: NameServiceContract;
  private readonly provider: Provider;
  private readonly signer: Signer | undefined;
  private readonly progress: Progress;

  constructor(private readonly o: Names.NameRegistryOptions) {
    this.address = getAddress(o.address);
    this.provider = o.provider;
    this.signer = o.signer;
    this.progress = o.progress ?? (() => {});
    this.c = new NameServiceContract({
      address: this.address,
      provider: o.provider,
      signer: o.signer,
      progress: this.progress,
      reportEveryMs: o.reportEveryMs,
    });
  }

  /**
   * What the chain holds for `name`, or null when it was never registered (or was challenged away).
   *
   * @example
   * ```ts
   * const info = await sns.lookup("alice"); // BAD_NAME for an invalid name
   * if (info) console.log(info.owner, info.state, info.sessionId);
   * else console.log("alice is free");
   * ```
   */
  async lookup(name: string): Promise<Names.NameInfo | null> {
    const n = checkName(name);
    const hash = nameHashHex(n);
    let r: [string, bigint, bigint, string];
    try {
      r = (await this.c.call("resolve", hash)) as [string, bigint, bigint, string];
    } catch (e) {
      if (e instanceof ClientError && e.code === "NAME_NOT_FOUND") return null;
      throw e;
    }
    const [owner, expiry, length, record] = r;
    const grace = Number(await this.c.call("GRACE_PERIOD"));
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

  /**
   * SESH (base units) to hold `name` for `years`.
   *
   * @example
   * ```ts
   * import { formatSesh } from "@session/client";
   *
   * console.log(formatSesh(await sns.price("alice"))); // 1 year; on the devnet "10.0 SESH"
   * ```
   */
  async price(name: string, years = 1): Promise<bigint> {
    checkYears(years);
    return (await this.c.call("price", checkName(name).length, years)) as bigint;
  }

  /**
   * Registers `name` to the wallet, its record pointing to `sessionId`: commits a hash of the
   * registration, waits the contract's minimum commitment age in chain time (so nobody can see the
   * name in the mempool and take it first), then reveals and pays.
   *
   * @example
   * ```ts
   * import { writeFileSync } from "node:fs";
   *
   * // NAME_TAKEN, INSUFFICIENT_FUNDS… before any transaction; the pending registration is kept so an
   * // interrupted run can pass it back as `resume` and reuse its commitment
   * const r = await sns.register("alice", me.sessionId, {
   *   years: 2,
   *   onPending: (p) => writeFileSync("pending.json", JSON.stringify(p), { mode: 0o600 }),
   * });
   * console.log(r.txHash, new Date(r.expiry * 1000));
   * ```
   */
  async register(
    name: string,
    sessionId: string,
    opts: Names.RegisterOptions = {},
  ): Promise<Names.RegisterResult> {
    const n = checkName(name);
    const id = checkSessionId(sessionId);
    const years = opts.years ?? 1;
    checkYears(years);
    const signer = this.requireSigner();
    const me = getAddress(await signer.getAddress());
    const hash = nameHashHex(n);
    if (!((await this.c.call("available", hash)) as boolean)) {
      const held = await this.lookup(n);
      const whose = held && held.owner === me ? "this wallet already holds it" : `owned by ${held?.owner}`;
      throw new ClientError(
        "NAME_TAKEN",
        `"${n}" is taken (${whose}, ${held?.state === "grace" ? "in its grace period until" : "until"} ${iso(held?.state === "grace" ? held.graceEnds : held?.expiry)})`,
      );
    }
    const cost = (await this.c.call("price", n.length, years)) as bigint;
    await this.c.allow(me, cost, `registering "${n}" for ${years} year${years === 1 ? "" : "s"}`);

    const minAge = Number(await this.c.call("MIN_COMMITMENT_AGE"));
    const maxAge = Number(await this.c.call("MAX_COMMITMENT_AGE"));
    // An earlier run's commitment for the same registration, still on chain and young enough
    // to reveal (a minute of margin): reuse it rather than commit (and wait) again.
    const r = opts.resume;
    let committedAt = 0;
    if (r && r.name === n && r.owner === me && r.sessionId === id && r.years === years) {
      const at = Number((await this.c.call("commitments", r.commitment)) as bigint);
      if (at > 0 && (await chainTime(this.provider)) + 60 < at + maxAge) committedAt = at;
    }
    let pending: Names.PendingRegistration;
    if (r && committedAt > 0) {
      pending = r;
      this.progress(`step 1/3: reusing the commitment to "${n}" made at ${iso(committedAt)} (chain time)`);
    } else {
      const record = hexlify(encryptNameRecord(n, id));
      const secret = hexlify(randomBytes(32));
      const commitment = (await this.c.call("makeCommitment", hash, n.length, me, record, secret)) as string;
      pending = { name: n, sessionId: id, owner: me, years, record, secret, commitment };
      await opts.onPending?.(pending); // before sending: an interrupted run can pick it up
      this.progress(`step 1/3: committing to "${n}" (the name stays hidden until registered)…`);
      const committed = await this.c.send("commit", () => this.c.fn("commit")(commitment));
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
    const receipt = await this.c.send("register", () =>
      this.c.fn("register")(hash, n.length, record, years, secret),
    );
    let expiry = 0;
    for (const log of receipt.logs) {
      const parsed = this.c.parseLog(log);
      if (parsed?.name === "NameRegistered") expiry = Number(parsed.args.expiry);
    }
    return { name: n, nameHash: hash, owner: me, expiry, cost, txHash: receipt.hash };
  }

  /**
   * Extends `name` by `years` (anyone may pay for a live name; during its grace only the owner).
   *
   * @example
   * ```ts
   * const { expiry, cost } = await sns.renew("alice", { years: 1 }); // NAME_EXPIRED past the grace period
   * console.log(new Date(expiry * 1000), cost);
   * ```
   */
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
    const cost = (await this.c.call("price", info.declaredLength, years)) as bigint;
    await this.c.allow(me, cost, `renewing "${info.name}" for ${years} year${years === 1 ? "" : "s"}`);
    const receipt = await this.c.send("renew", () => this.c.fn("renew")(info.nameHash, years));
    let expiry = info.expiry;
    for (const log of receipt.logs) {
      const parsed = this.c.parseLog(log);
      if (parsed?.name === "NameRenewed") expiry = Number(parsed.args.expiry);
    }
    return { expiry, cost };
  }

  /**
   * Points `name` (owned by the wallet, not expired) to another Session ID.
   *
   * @example
   * ```ts
   * await sns.setRecord("alice", me.sessionId); // NOT_NAME_OWNER unless the wallet holds "alice"
   * ```
   */
  async setRecord(name: string, sessionId: string): Promise<void> {
    const id = checkSessionId(sessionId);
    const info = await this.requireOwned(name);
    await this.c.send("setRecord", () =>
      this.c.fn("setRecord")(info.nameHash, hexlify(encryptNameRecord(info.name, id))),
    );
  }

  /**
   * Gives `name` (owned by the wallet, not expired) to another address; the record stays.
   *
   * @example
   * ```ts
   * await sns.transfer("alice", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
   * ```
   */
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
    await this.c.send("transfer", () =>
      this.c.fn("safeTransferFrom(address,address,uint256)")(info.owner, dest, BigInt(info.nameHash)),
    );
  }

  // ------------------------------------------------------------------ helpers

  private requireSigner(): Signer {
    if (!this.signer) throw new ClientError("BAD_ARGUMENT", "this needs a wallet (a signer)");
    return this.signer;
  }

  private async requireName(name: string): Promise<Names.NameInfo> {
    const info = await this.lookup(name);
    if (!info) throw new ClientError("NAME_NOT_FOUND", `"${checkName(name)}" is not registered`);
    return info;
  }

  private async requireOwned(name: string): Promise<Names.NameInfo> {
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
}
