// What a command-line tool needs to act on the chain: the deployment it talks to, the user's wallet
// key (from the environment or a file, never from a flag that would land in shell history and
// logs), EIP-2612 permits for SESH, and transaction and chain-time waits that report progress.

import { existsSync, readFileSync, statSync } from "node:fs";
import { SessionError } from "@session/errors";
import {
  type ContractTransactionResponse,
  getAddress,
  type Interface,
  JsonRpcProvider,
  type Provider,
  Signature,
  type TransactionReceipt,
  Wallet,
} from "ethers";

export type ChainErrorCode =
  | "CONFIG"
  | "KEY"
  | "DEPLOYMENT_FILE"
  | "WRONG_CHAIN"
  | "TX_FAILED"
  | "TIMEOUT"
  | "NOT_FOUND"
  | "REFUSED";

/** Errors of chain tooling: a stable code, the cause kept, and whether retrying can help. */
export class ChainError extends SessionError<ChainErrorCode> {
  override readonly name = "ChainError";
  constructor(code: ChainErrorCode, message: string, retryable = false, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable });
  }
}

export interface ChainDeployment {
  chainId: number;
  sesh?: string | undefined;
  serviceNodeRegistry?: string | undefined;
  sessionNameService?: string | undefined;
  deploymentBlock?: number | undefined;
}

/** Reads deployments/<network>.json (src/deployment-file.ts, or the devnet's) and checks its addresses. */
export function readDeploymentFile(path: string): ChainDeployment {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new ChainError("DEPLOYMENT_FILE", `cannot read the deployment file ${path}`, false, { cause: e });
  }
  const chainId = raw.chainId;
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0)
    throw new ChainError("DEPLOYMENT_FILE", `${path}: chainId is missing or not a positive integer`);
  const addr = (k: string) => {
    const v = raw[k];
    if (v === undefined) return undefined;
    try {
      return getAddress(String(v));
    } catch (e) {
      throw new ChainError("DEPLOYMENT_FILE", `${path}: ${k} is not an address`, false, { cause: e });
    }
  };
  return {
    chainId,
    sesh: addr("sesh"),
    serviceNodeRegistry: addr("serviceNodeRegistry"),
    sessionNameService: addr("sessionNameService"),
    deploymentBlock: typeof raw.deploymentBlock === "number" ? raw.deploymentBlock : undefined,
  };
}

/** Checks a contract address given on its own (env or flag). */
export function parseAddress(what: string, value: string): string {
  try {
    return getAddress(value);
  } catch (e) {
    throw new ChainError("CONFIG", `${what} "${value}" is not an address`, false, { cause: e });
  }
}

export interface PrivateKeySource {
  /** Environment variable holding the key itself (0x + 64 hex). */
  keyVar: string;
  /** Environment variable naming a file that holds it. */
  fileVar: string;
  /** A key file given on the command line (its path is not secret). */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** The wallet key from `file`, `$fileVar` or `$keyVar` (in that order). The key is never echoed. */
export function loadPrivateKey(src: PrivateKeySource): string {
  const env = src.env ?? process.env;
  const path = src.file ?? env[src.fileVar];
  let key: string | undefined;
  let from: string;
  if (path) {
    if (!existsSync(path)) throw new ChainError("KEY", `key file ${path} does not exist`);
    if ((statSync(path).mode & 0o077) !== 0 && process.platform !== "win32")
      process.emitWarning(`key file ${path} is readable by other users (chmod 600 it)`);
    key = readFileSync(path, "utf8").trim();
    from = `key file ${path}`;
  } else {
    key = env[src.keyVar]?.trim();
    from = `$${src.keyVar}`;
  }
  if (!key)
    throw new ChainError("KEY", `no wallet key: set ${src.keyVar}, or ${src.fileVar} to a file holding it`);
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key))
    throw new ChainError("KEY", `${from} does not hold a private key (64 hex digits)`);
  return key.startsWith("0x") ? key : `0x${key}`;
}

/** A JSON-RPC provider for `rpcUrl` that refuses to act on another chain than `chainId`. */
export async function connectChain(rpcUrl: string, chainId: number): Promise<JsonRpcProvider> {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch (e) {
    throw new ChainError("CONFIG", `RPC URL "${rpcUrl}" is not a URL`, false, { cause: e });
  }
  const provider = new JsonRpcProvider(url.toString(), chainId, { staticNetwork: true, cacheTimeout: -1 });
  let actual: bigint;
  try {
    actual = BigInt(await provider.send("eth_chainId", []));
  } catch (e) {
    provider.destroy();
    throw new ChainError("CONFIG", `cannot reach the chain at ${url.origin}`, true, { cause: e });
  }
  if (actual !== BigInt(chainId)) {
    provider.destroy();
    throw new ChainError(
      "WRONG_CHAIN",
      `the RPC serves chain ${actual}, the deployment is on chain ${chainId}`,
    );
  }
  return provider;
}

export function walletFor(key: string, provider: Provider): Wallet {
  return new Wallet(key, provider);
}

export type Progress = (line: string) => void;

/** What a chain command-line tool writes to and reads: results, progress of long waits, its environment. */
export interface ChainCliIo {
  /** Results (stdout). */
  out: (line: string) => void;
  /** Progress of long operations (stderr), so piped results stay clean. */
  progress: Progress;
  env: NodeJS.ProcessEnv;
}

/** The process's own stdout, stderr and environment. */
export const processCliIo: ChainCliIo = {
  out: (s) => process.stdout.write(`${s}\n`),
  progress: (s) => process.stderr.write(`${s}\n`),
  env: process.env,
};

export interface WaitOptions {
  progress?: Progress;
  /** The called contract's interface: decodes its custom errors when the provider only gives revert data. */
  iface?: Interface;
  /** How often to report that the wait goes on (default 5 s). */
  reportEveryMs?: number;
  timeoutMs?: number;
}

/**
 * Sends a transaction and waits for its receipt, reporting the hash at once and progress while
 * waiting. A revert becomes a TX_FAILED ChainError with the contract's reason.
 */
export async function sendAndWait(
  label: string,
  send: () => Promise<ContractTransactionResponse>,
  opts: WaitOptions = {},
): Promise<TransactionReceipt> {
  const progress = opts.progress ?? (() => {});
  let tx: ContractTransactionResponse;
  try {
    tx = await send();
  } catch (e) {
    throw new ChainError("TX_FAILED", `${label}: ${revertReason(e, opts.iface)}`, false, { cause: e });
  }
  progress(`${label}: sent ${tx.hash}, waiting for it to be mined…`);
  const started = Date.now();
  const ticker = setInterval(
    () => progress(`${label}: still waiting (${Math.round((Date.now() - started) / 1000)} s)…`),
    opts.reportEveryMs ?? 5000,
  );
  try {
    const receipt = await tx.wait(1, opts.timeoutMs ?? 300_000);
    if (!receipt || receipt.status !== 1) throw new ChainError("TX_FAILED", `${label}: reverted`);
    progress(`${label}: mined in block ${receipt.blockNumber}`);
    return receipt;
  } catch (e) {
    if (e instanceof ChainError) throw e;
    const timeout = (e as { code?: string }).code === "TIMEOUT";
    throw new ChainError(
      timeout ? "TIMEOUT" : "TX_FAILED",
      `${label}: ${revertReason(e, opts.iface)}`,
      timeout,
      {
        cause: e,
      },
    );
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The revert data inside an error as ethers or the node hands it over: `data` on a coalesced
 * CALL_EXCEPTION, or the node's raw JSON-RPC error (`error.data`, `info.error.data`) when ethers
 * could not coalesce it — a chain that refuses to send a reverting transaction (an automining dev
 * chain does) answers like that.
 */
function revertData(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== "object" || depth > 4) return undefined;
  const o = e as { data?: unknown; error?: unknown; info?: unknown; cause?: unknown };
  if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(o.data)) return o.data;
  if (o.data && typeof o.data === "object") {
    const inner = revertData(o.data, depth + 1);
    if (inner) return inner;
  }
  for (const next of [o.error, o.info, o.cause]) {
    const found = revertData(next, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The custom error or revert string of a failed call, as readable as ethers makes it. */
export function revertReason(e: unknown, iface?: Interface): string {
  const err = e as {
    revert?: { name?: string; args?: unknown[] };
    reason?: string;
    shortMessage?: string;
  };
  const data = iface && !err.revert ? revertData(e) : undefined;
  const decoded =
    err.revert ??
    (iface && data
      ? (() => {
          try {
            return iface.parseError(data) ?? undefined;
          } catch {
            return undefined;
          }
        })()
      : undefined);
  if (decoded?.name) return `${decoded.name}(${[...(decoded.args ?? [])].map((a) => String(a)).join(", ")})`;
  return err.reason ?? err.shortMessage ?? (e instanceof Error ? e.message : String(e));
}

/** Creation code that returns `block.timestamp` (TIMESTAMP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN). */
const TIMESTAMP_CODE = "0x425f5260205ff3";

/**
 * The chain's time as a transaction sent now sees it (seconds): the timestamp of the block being
 * built (an `eth_call` on `pending`), and at least the latest block's. On a chain that mines only on
 * demand (a local automine chain) the latest block can be long past while the next one will carry
 * the current time plus any `evm_increaseTime`; on a live chain both agree within a block.
 */
export async function chainTime(provider: Provider): Promise<number> {
  const latest = (await provider.getBlock("latest"))?.timestamp ?? 0;
  try {
    const pending = Number(BigInt(await provider.call({ data: TIMESTAMP_CODE, blockTag: "pending" })));
    return Number.isSafeInteger(pending) ? Math.max(latest, pending) : latest;
  } catch {
    return latest; // a provider that cannot simulate a creation on `pending`
  }
}

/**
 * Waits until the chain's time (`chainTime`) is at or past `timestamp` (seconds), reporting the
 * time left. Chain time, not wall time: a commitment matures by block timestamps.
 */
export async function waitForChainTime(
  provider: Provider,
  timestamp: number,
  opts: WaitOptions & { pollMs?: number; label?: string } = {},
): Promise<void> {
  const progress = opts.progress ?? (() => {});
  const until = Date.now() + (opts.timeoutMs ?? 600_000);
  let lastReport = 0;
  for (;;) {
    const now = await chainTime(provider);
    if (now >= timestamp) return;
    if (Date.now() > until)
      throw new ChainError(
        "TIMEOUT",
        `${opts.label ?? "waiting"}: chain time did not reach ${timestamp}`,
        true,
      );
    if (Date.now() - lastReport >= (opts.reportEveryMs ?? 5000)) {
      progress(`${opts.label ?? "waiting"}: ${timestamp - now} s left (chain time)…`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}

export interface PermitParams {
  token: string;
  spender: string;
  value: bigint;
  /** Unix seconds after which the permit is void. */
  deadline: bigint;
}

/** Signs an EIP-2612 permit for an ERC20Permit token (SESH): approval without an approve transaction. */
export async function signPermit(
  wallet: Pick<Wallet, "address" | "signTypedData">,
  provider: Provider,
  p: PermitParams,
  read: { name(): Promise<string>; nonces(owner: string): Promise<bigint> },
): Promise<{ v: number; r: string; s: string }> {
  const { chainId } = await provider.getNetwork();
  const sig = await wallet.signTypedData(
    { name: await read.name(), version: "1", chainId, verifyingContract: p.token },
    {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    {
      owner: wallet.address,
      spender: p.spender,
      value: p.value,
      nonce: await read.nonces(wallet.address),
      deadline: p.deadline,
    },
  );
  const { v, r, s } = Signature.from(sig);
  return { v, r, s };
}
