// Waiting on the chain with progress reports: a transaction until it is mined (a revert explained
// by the contract's custom error), and chain time until a timestamp (a commitment maturing).
import type { ContractTransactionResponse, Interface, Provider, TransactionReceipt } from "ethers";
import { ChainError } from "./chain-error.ts";

/** A progress line for people (stderr in command-line tools). */
export type Progress = (line: string) => void;

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
