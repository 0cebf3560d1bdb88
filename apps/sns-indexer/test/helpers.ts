import type { IndexerConfig } from "../src/config.ts";
import { type RunningIndexer, type StartIndexerOptions, startIndexer } from "../src/index.ts";
import type { Fixture } from "./chain-fixture.ts";

/**
 * An indexer of the fixture's contracts on `databaseUrl`, on a loopback port-0 server, reading
 * the chain through the caller's transport (`rpcUrl` unused unless `extra` names one).
 */
export function indexerTestConfig(
  f: Fixture,
  databaseUrl: string,
  extra: Partial<IndexerConfig> = {},
): IndexerConfig {
  return {
    rpcUrl: "http://unused",
    addresses: { registry: f.deployment.serviceNodeRegistry, names: f.deployment.sessionNameService },
    startBlock: f.deployment.deploymentBlock,
    databaseUrl,
    confirmations: 0,
    batchSize: 4,
    reorgDepth: 16,
    pollMs: 100,
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
    ...extra,
  };
}

/** startIndexer on indexerTestConfig, reading the fixture's in-process chain directly. */
export function startFixtureIndexer(
  f: Fixture,
  databaseUrl: string,
  extra: Partial<IndexerConfig>,
  options: Omit<StartIndexerOptions, "eip1193">,
): Promise<RunningIndexer> {
  return startIndexer(indexerTestConfig(f, databaseUrl, extra), { eip1193: f.chain.eip1193, ...options });
}

/** `block-logIndex-blockHash` of every watched-contract log on the chain up to `toBlock`. */
export async function chainEventKeys(f: Fixture, toBlock: number): Promise<string[]> {
  const logs = await f.chain.provider.getLogs({
    address: [f.deployment.serviceNodeRegistry, f.deployment.sessionNameService],
    fromBlock: f.deployment.deploymentBlock,
    toBlock,
  });
  return logs.map((l) => `${l.blockNumber}-${l.index}-${l.blockHash.toLowerCase()}`);
}

/** The same keys as the indexer serves them, paging through /v1/events `limit` at a time. */
export async function indexedEventKeys(url: string, limit = 7): Promise<string[]> {
  const keys: string[] = [];
  let after: string | null = null;
  for (;;) {
    const res = await fetch(`${url}/v1/events?limit=${limit}${after ? `&after=${after}` : ""}`);
    if (res.status !== 200) throw new Error(`/v1/events answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as {
      events: { blockNumber: number; logIndex: number; blockHash: string }[];
      next: string | null;
    };
    keys.push(...page.events.map((e) => `${e.blockNumber}-${e.logIndex}-${e.blockHash.toLowerCase()}`));
    if (!page.next) return keys;
    after = page.next;
  }
}

/** One sample of a Prometheus metric (`labels` like `code="RPC_TIMEOUT"`), or undefined. */
export async function metric(url: string, name: string, labels = ""): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const want = labels ? `${name}{${labels}}` : name;
  for (const line of text.split("\n")) {
    const [key, value] = line.split(" ");
    if (key === want) return Number(value);
  }
  return undefined;
}

export interface HealthBody {
  ok: boolean;
  status: "ok" | "degraded";
  indexedTo: number;
  head: number;
  lagBlocks: number;
  conditions: {
    chain_rpc: {
      ok: boolean;
      lastSuccessAt: string | null;
      consecutiveFailures: number;
      lastError: string | null;
    };
    database: { ok: boolean; lastError: string | null };
    disk_full: { active: boolean; since: string | null };
  };
}

export async function health(url: string): Promise<HealthBody> {
  const res = await fetch(`${url}/health`);
  if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
  return (await res.json()) as HealthBody;
}

/** Ed25519 keys of the nodes `/v1/nodes` serves. */
export async function servedNodes(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/v1/nodes`)).json()) as { nodes: { pubkey_ed25519: string }[] };
  return body.nodes.map((n) => n.pubkey_ed25519);
}
