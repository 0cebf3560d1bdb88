import { bloomMayContain, type ChainBlock, type ChainClient, type ChainLog } from "../chain/chain-client.ts";
import { ChainRpcError } from "../chain/errors.ts";

/** One batch of the watched contracts' logs, with the block headers kept for reorg detection. */
export interface LogBatch {
  logs: ChainLog[];
  headers: ChainBlock[];
}

/**
 * Reads the logs of `watched` in [from, to] and the headers for reorg detection: every block within
 * `reorgDepth` of `head`, else just the batch's last block. Throws (to be asked again) unless the
 * logs cover the whole range (checkCoverage).
 */
export async function fetchLogBatch(
  chain: ChainClient,
  watched: readonly string[],
  range: { from: number; to: number },
  near: { head: number; reorgDepth: number },
  signal?: AbortSignal,
): Promise<LogBatch> {
  const { from, to } = range;
  const logs = await chain.logs({ addresses: watched, fromBlock: from, toBlock: to }, signal);
  const headers: ChainBlock[] = [];
  const hashFrom = Math.max(from, near.head - near.reorgDepth, to - near.reorgDepth + 1);
  for (let n = hashFrom; n <= to; n++) headers.push(await chain.block(n, signal));
  if (headers.length === 0 || headers[headers.length - 1]!.number !== to)
    headers.push(await chain.block(to, signal));
  await checkCoverage(chain, watched, range, { logs, headers }, signal);
  return { logs, headers };
}

/**
 * Checks that a log list covers its whole range, as far as the chain lets us tell. A provider
 * that caps its answer returns a prefix: the last block it names may be cut short (asked alone,
 * it has more logs), and blocks after it are left out (a header read for this batch whose bloom
 * names a watched contract, with no log in the list, is asked alone). A block's logs must also
 * carry the hash of the header read (else the chain moved meanwhile). Either way the batch is
 * refused and asked again, never half-recorded.
 */
async function checkCoverage(
  chain: ChainClient,
  watched: readonly string[],
  range: { from: number; to: number },
  { logs, headers }: LogBatch,
  signal?: AbortSignal,
): Promise<void> {
  const alone = (n: number) => chain.logs({ addresses: watched, fromBlock: n, toBlock: n }, signal);
  const truncated = (n: number) =>
    new ChainRpcError("RPC_BAD_ANSWER", `eth_getLogs ${range.from}-${range.to} cut short at block ${n}`);
  const byBlock = new Map<number, ChainLog[]>();
  for (const l of logs) byBlock.set(l.blockNumber, [...(byBlock.get(l.blockNumber) ?? []), l]);
  const last = logs[logs.length - 1];
  if (last) {
    const full = await alone(last.blockNumber);
    if (full.length > byBlock.get(last.blockNumber)!.length) throw truncated(last.blockNumber);
  }
  for (const h of headers) {
    const inBlock = byBlock.get(h.number);
    if (inBlock) {
      if (inBlock.some((l) => l.blockHash !== h.hash))
        throw new ChainRpcError("RPC_BAD_ANSWER", `block ${h.number} changed while its logs were read`);
      continue;
    }
    if (!watched.some((a) => bloomMayContain(h.logsBloom, a))) continue;
    if ((await alone(h.number)).length > 0) throw truncated(h.number);
  }
}
