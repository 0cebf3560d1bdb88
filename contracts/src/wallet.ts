// What a command-line tool needs to act on the chain: the deployment it talks to, the user's wallet
// key (from the environment or a file, never from a flag that would land in shell history and
// logs), EIP-2612 permits for SESH, and transaction and chain-time waits that report progress
// (chain-waits.ts; ChainError in chain-error.ts: both exported from here, the `./wallet` entry).

import { existsSync, readFileSync, statSync } from "node:fs";
import { getAddress, JsonRpcProvider, type Provider, Signature, Wallet } from "ethers";
import { ChainError } from "./chain-error.ts";
import type { Progress } from "./chain-waits.ts";

export { ChainError, type ChainErrorCode } from "./chain-error.ts";
export {
  chainTime,
  type Progress,
  revertReason,
  sendAndWait,
  type WaitOptions,
  waitForChainTime,
} from "./chain-waits.ts";

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
