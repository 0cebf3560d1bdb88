import { getBytes, keccak256 } from "ethers";
import { z } from "zod";
import { ChainRpcError } from "./errors.ts";
import type { RpcTransport } from "./json-rpc.ts";

const quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/, "expected a hex quantity")
  .transform((s) => BigInt(s));
const blockNumber = quantity.refine((n) => n <= BigInt(Number.MAX_SAFE_INTEGER)).transform(Number);
const hash32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte hash")
  .transform((s) => s.toLowerCase());
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected an address")
  .transform((s) => s.toLowerCase());

const blockSchema = z.object({
  number: blockNumber,
  hash: hash32,
  parentHash: hash32,
  logsBloom: z.string().regex(/^0x[0-9a-fA-F]{512}$/, "expected a 256-byte bloom"),
  /** Unix seconds (every real chain gives it; optional for synthetic test chains). */
  timestamp: blockNumber.optional(),
});
export type ChainBlock = z.output<typeof blockSchema>;

const logSchema = z.object({
  address,
  topics: z.array(hash32).max(4),
  data: z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "expected hex data"),
  blockNumber,
  blockHash: hash32,
  transactionHash: hash32,
  logIndex: blockNumber,
  removed: z.boolean().optional(),
});
export type ChainLog = z.output<typeof logSchema>;

export interface LogQuery {
  addresses: readonly string[];
  fromBlock: number;
  toBlock: number;
}

/** What the follower asks of the chain; every answer is validated before it is believed. */
export interface ChainClient {
  chainId(signal?: AbortSignal): Promise<bigint>;
  blockNumber(signal?: AbortSignal): Promise<number>;
  block(n: number, signal?: AbortSignal): Promise<ChainBlock>;
  /** Logs of `addresses` in [fromBlock, toBlock], in chain order; a list that cannot be complete is refused. */
  logs(query: LogQuery, signal?: AbortSignal): Promise<ChainLog[]>;
}

const hex = (n: number) => `0x${n.toString(16)}`;

function parse<T extends z.ZodType>(method: string, schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ChainRpcError(
      "RPC_BAD_ANSWER",
      `${method}: invalid result${issue ? ` at ${issue.path.join(".") || "root"}: ${issue.message}` : ""}`,
      { cause: r.error },
    );
  }
  return r.data;
}

/**
 * Checks a log list against the query: every log in the range and from a watched contract, none
 * flagged removed, strictly in (block, index) order, one hash per block. Anything else is a
 * malformed or spliced answer and is refused as a whole (never half-recorded).
 */
export function checkLogList(query: LogQuery, logs: readonly ChainLog[]): void {
  const watched = new Set(query.addresses.map((a) => a.toLowerCase()));
  const bad = (why: string) =>
    new ChainRpcError("RPC_BAD_ANSWER", `eth_getLogs ${query.fromBlock}-${query.toBlock}: ${why}`);
  let prev: ChainLog | undefined;
  for (const log of logs) {
    if (log.blockNumber < query.fromBlock || log.blockNumber > query.toBlock)
      throw bad(`log in block ${log.blockNumber} is outside the range`);
    if (!watched.has(log.address)) throw bad("log from a contract not asked for");
    if (log.removed) throw bad("log flagged removed");
    if (prev) {
      if (
        log.blockNumber < prev.blockNumber ||
        (log.blockNumber === prev.blockNumber && log.logIndex <= prev.logIndex)
      )
        throw bad("logs out of order or repeated");
      if (log.blockNumber === prev.blockNumber && log.blockHash !== prev.blockHash)
        throw bad(`two hashes for block ${log.blockNumber}`);
    }
    prev = log;
  }
}

/** Whether a block's logs bloom may hold a log of `addr` (false: it certainly holds none). */
export function bloomMayContain(logsBloom: string, addr: string): boolean {
  const bloom = getBytes(logsBloom);
  const h = getBytes(keccak256(getBytes(addr)));
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    if ((bloom[255 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

export function jsonRpcChainClient(send: RpcTransport): ChainClient {
  return {
    async chainId(signal) {
      return parse("eth_chainId", quantity, await send("eth_chainId", [], signal));
    },
    async blockNumber(signal) {
      return parse("eth_blockNumber", blockNumber, await send("eth_blockNumber", [], signal));
    },
    async block(n, signal) {
      const raw = await send("eth_getBlockByNumber", [hex(n), false], signal);
      // A load-balanced provider can answer from a node that has not seen the block yet.
      if (raw === null)
        throw new ChainRpcError("RPC_BAD_ANSWER", `eth_getBlockByNumber: block ${n} not found`);
      const b = parse("eth_getBlockByNumber", blockSchema, raw);
      if (b.number !== n)
        throw new ChainRpcError("RPC_BAD_ANSWER", `eth_getBlockByNumber: asked ${n}, got ${b.number}`);
      return b;
    },
    async logs(query, signal) {
      const raw = await send(
        "eth_getLogs",
        [{ address: [...query.addresses], fromBlock: hex(query.fromBlock), toBlock: hex(query.toBlock) }],
        signal,
      );
      const logs = parse("eth_getLogs", z.array(logSchema), raw);
      checkLogList(query, logs);
      return logs;
    },
  };
}
