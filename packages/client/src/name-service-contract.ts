// The SessionNameService contract as NameRegistry talks to it: reads and transactions whose reverts
// come back as ClientErrors, the SESH allowance a paid write needs, and its events read from receipts.
import { seshAbi, sessionNameServiceAbi } from "@session/contracts/abis";
import { ChainError, type Progress, sendAndWait } from "@session/contracts/wallet";
import {
  Contract,
  type ContractTransactionResponse,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import { ClientError } from "./errors.ts";
import { formatSesh } from "./name-checks.ts";
import { explainNameServiceError } from "./name-service-errors.ts";

export interface NameServiceContractOptions {
  /** The checksummed SessionNameService address. */
  address: string;
  provider: Provider;
  signer: Signer | undefined;
  progress: Progress;
  reportEveryMs: number | undefined;
}

export class NameServiceContract {
  readonly address: string;
  private readonly sns: Contract;
  private readonly provider: Provider;
  private readonly signer: Signer | undefined;
  private readonly progress: Progress;
  private readonly reportEveryMs: number | undefined;

  constructor(o: NameServiceContractOptions) {
    this.address = o.address;
    this.provider = o.provider;
    this.signer = o.signer;
    this.progress = o.progress;
    this.reportEveryMs = o.reportEveryMs;
    this.sns = new Contract(this.address, sessionNameServiceAbi as never, o.signer ?? o.provider);
  }

  /** Makes sure the name service may take `cost` SESH from the wallet (one approve when needed). */
  async allow(me: string, cost: bigint, what: string): Promise<void> {
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

  fn(signature: string) {
    return this.sns.getFunction(signature);
  }

  /** A read; a revert becomes a ClientError. */
  async call(method: string, ...args: unknown[]): Promise<unknown> {
    try {
      return await this.sns.getFunction(method).staticCall(...args);
    } catch (e) {
      throw explainNameServiceError(method, e, this.sns.interface);
    }
  }

  async send(
    label: string,
    tx: () => Promise<ContractTransactionResponse>,
    contract: Contract = this.sns,
  ): Promise<TransactionReceipt> {
    try {
      return await sendAndWait(label, tx, {
        progress: this.progress,
        iface: contract.interface,
        reportEveryMs: this.reportEveryMs,
      });
    } catch (e) {
      throw explainNameServiceError(
        label,
        e instanceof ChainError && e.cause ? e.cause : e,
        contract.interface,
      );
    }
  }

  /** The name service's event in a log, or null for a log it did not emit. */
  parseLog(log: { topics: readonly string[]; data: string }) {
    try {
      return this.sns.interface.parseLog(log);
    } catch {
      return null;
    }
  }
}
