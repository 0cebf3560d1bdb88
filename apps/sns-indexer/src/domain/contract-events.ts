import { serviceNodeRegistryAbi, sessionNameServiceAbi } from "@session/contracts/abis";
import { Interface } from "ethers";
import type { ChainLog } from "../chain/chain-client.ts";
import type { StoredEvent } from "../db/store.ts";

const registryIface = new Interface(serviceNodeRegistryAbi as never);
const namesIface = new Interface(sessionNameServiceAbi as never);

function argsJson(parsed: ReturnType<Interface["parseLog"]>): string {
  const out: Record<string, unknown> = {};
  if (!parsed) return "{}";
  parsed.fragment.inputs.forEach((input, i) => {
    out[input.name] = parsed.args[i];
  });
  // ethers Results (arrays) and bigints become plain JSON; bigints as decimal strings.
  return JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * A log of the staking registry (at `registryAddress`, lower-case) or of the naming contract (any
 * other address) as the event the indexer stores; null for a log neither contract's ABI decodes.
 */
export function decodeContractEvent(log: ChainLog, registryAddress: string): StoredEvent | null {
  const isRegistry = log.address === registryAddress;
  const iface = isRegistry ? registryIface : namesIface;
  let parsed: ReturnType<Interface["parseLog"]>;
  try {
    parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
  if (!parsed) return null;
  return {
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    blockHash: log.blockHash,
    txHash: log.transactionHash,
    contract: isRegistry ? "registry" : "names",
    name: parsed.name,
    args: argsJson(parsed),
  };
}
