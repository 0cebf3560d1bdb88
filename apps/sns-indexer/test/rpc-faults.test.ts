// Chain RPC faults, injected for real: a JSON-RPC proxy in front of the in-process EDR chain
// (served over HTTP) answers chosen calls with errors, timeouts, 429s, truncated or malformed log
// lists, or resets every connection; a reorg deeper than the confirmation depth is made on the
// chain itself. The indexer talks to the proxy over HTTP as to any provider.
import { join } from "node:path";
import { createLogger } from "@session/service-kit";
import { suiteTempDir } from "@session/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IndexerConfig } from "../src/config.ts";
import { type RunningIndexer, startIndexer } from "../src/index.ts";
import { chainFixture, type Fixture } from "./chain-fixture.ts";
import {
  chainEventKeys,
  health,
  indexedEventKeys,
  indexerTestConfig,
  metric,
  servedNodes,
} from "./helpers.ts";
import { RpcFaultProxy } from "./rpc-proxy.ts";

const logger = createLogger({ name: "sns-indexer-test", level: "silent" });
const RETRY = { attempts: 6, baseMs: 40, maxMs: 2000 };
let f: Fixture;
let proxy: RpcFaultProxy;
let rpcUrl: string;
const dir = suiteTempDir("sns-rpc-faults-");
let indexer: RunningIndexer;

/** The indexer reads the chain through the fault proxy, with short timeouts and backoff. */
function config(databaseUrl: string, extra: Partial<IndexerConfig> = {}): IndexerConfig {
  return indexerTestConfig(f, databaseUrl, {
    rpcUrl,
    maxBatchSize: 64,
    reorgDepth: 64,
    pollMs: 50,
    rpcTimeoutMs: 2000,
    maxBackoffMs: 1000,
    ...extra,
  });
}

/** What the indexer stored (paged through /v1/events) is exactly the chain's logs up to its cursor. */
async function expectMatchesChain(ix: RunningIndexer) {
  const indexedTo = ix.follower.indexedTo;
  expect(await indexedEventKeys(ix.url)).toEqual(await chainEventKeys(f, indexedTo));
}

const untilServed = (ix: RunningIndexer, key: string) =>
  expect.poll(() => servedNodes(ix.url), { timeout: 30_000, interval: 50 }).toContain(key);

beforeAll(async () => {
  f = await chainFixture();
  await f.registerNode({ operatorIndex: 1 });
  proxy = new RpcFaultProxy(await f.chain.serve());
  rpcUrl = await proxy.start();
  indexer = await startIndexer(config(`sqlite:${join(dir(), "main.sqlite")}`), { logger, retry: RETRY });
}, 120_000);

afterAll(async () => {
  await indexer?.stop();
  await proxy?.close();
  await f?.close();
});

describe("chain RPC faults", () => {
  it("retries errors, timeouts and rate limits with growing backoff; every event lands exactly once", async () => {
    proxy.inject("eth_getLogs", "http500", 3);
    proxy.inject("eth_getLogs", "rpcError", 1);
    proxy.inject("eth_getBlockByNumber", "timeout", 2);
    const key = await f.registerNode({ operatorIndex: 1 });
    await untilServed(indexer, key);
    expect(proxy.pending()).toBe(0);
    expect(proxy.applied("http500")).toBe(3);
    expect(proxy.applied("timeout")).toBe(2);
    // Backoff grows: the wait after the third failure is longer than after the first.
    const faulted = proxy.calls.filter((c) => c.method === "eth_getLogs");
    const first = faulted.findIndex((c) => c.fault === "http500");
    const gaps = [1, 2, 3].map((i) => faulted[first + i]!.at - faulted[first + i - 1]!.at);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    await expectMatchesChain(indexer);
    expect(await metric(indexer.url, "sns_indexer_chain_rpc_errors_total", 'code="RPC_UNAVAILABLE"')).toBe(3);
    expect(await metric(indexer.url, "sns_indexer_chain_rpc_errors_total", 'code="RPC_ERROR"')).toBe(1);
    expect(await metric(indexer.url, "sns_indexer_chain_rpc_errors_total", 'code="RPC_TIMEOUT"')).toBe(2);
    await expect.poll(async () => (await health(indexer.url)).status).toBe("ok");
  }, 60_000);

  it("waits out a 429's Retry-After before asking again", async () => {
    proxy.inject("eth_blockNumber", "rateLimit", 1, { retryAfter: 1 });
    await expect.poll(() => proxy.applied("rateLimit"), { timeout: 5_000, interval: 20 }).toBe(1);
    const limited = proxy.calls.findIndex((c) => c.fault === "rateLimit");
    await expect
      .poll(() => proxy.calls.slice(limited + 1).some((c) => c.method === "eth_blockNumber"), {
        timeout: 5_000,
      })
      .toBe(true);
    const next = proxy.calls.slice(limited + 1).find((c) => c.method === "eth_blockNumber")!;
    expect(next.at - proxy.calls[limited]!.at).toBeGreaterThanOrEqual(950);
    expect(await metric(indexer.url, "sns_indexer_chain_rpc_errors_total", 'code="RPC_RATE_LIMITED"')).toBe(
      1,
    );
  }, 30_000);

  it("refuses truncated and malformed log lists and asks again: no gap, no duplicate", async () => {
    for (const fault of ["dropLastLog", "dropLastBlock", "truncateBody", "logOutOfRange"] as const) {
      proxy.inject("eth_getLogs", fault, 1);
      const key = await f.registerNode({ operatorIndex: 1 });
      await untilServed(indexer, key);
      expect(proxy.applied(fault), fault).toBe(1);
      await expectMatchesChain(indexer);
    }
    expect(await metric(indexer.url, "sns_indexer_chain_rpc_errors_total", 'code="RPC_BAD_ANSWER"')).toBe(4);
  }, 90_000);

  it("while eth_getLogs keeps failing: serves the last good state, reports lag and the condition, then catches up", async () => {
    const before = await servedNodes(indexer.url);
    const nodesBody = await (await fetch(`${indexer.url}/v1/nodes`)).text();
    proxy.inject("eth_getLogs", "http500", 10_000);
    const key = await f.registerNode({ operatorIndex: 1 });
    await expect
      .poll(() => metric(indexer.url, "sns_indexer_lag_blocks"), { timeout: 10_000, interval: 50 })
      .toBeGreaterThan(0);
    await expect.poll(() => metric(indexer.url, "sns_indexer_chain_rpc_up")).toBe(0);
    const h = await health(indexer.url);
    expect(h.status).toBe("degraded");
    expect(h.conditions.chain_rpc.ok).toBe(false);
    expect(h.conditions.chain_rpc.consecutiveFailures).toBeGreaterThan(0);
    expect(h.conditions.chain_rpc.lastError).toMatch(/^RPC_UNAVAILABLE: eth_getLogs: HTTP 500/);
    expect(h.conditions.chain_rpc.lastSuccessAt).not.toBeNull();
    expect(await metric(indexer.url, "sns_indexer_chain_rpc_last_success_seconds")).toBeGreaterThan(0);
    // Reads keep answering with what was indexed.
    expect(await (await fetch(`${indexer.url}/v1/nodes`)).text()).toBe(nodesBody);
    expect(await servedNodes(indexer.url)).toEqual(before);
    proxy.clear();
    await untilServed(indexer, key);
    await expect.poll(() => metric(indexer.url, "sns_indexer_lag_blocks"), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => metric(indexer.url, "sns_indexer_chain_rpc_up"), { timeout: 10_000 }).toBe(1);
    await expectMatchesChain(indexer);
  }, 60_000);

  it("restarts while the RPC is down: serves what it has, then catches up when the RPC returns", async () => {
    const nodesBody = await (await fetch(`${indexer.url}/v1/nodes`)).text();
    await indexer.stop();
    proxy.down = true;
    const key = await f.registerNode({ operatorIndex: 1 });
    indexer = await startIndexer(config(`sqlite:${join(dir(), "main.sqlite")}`), { logger, retry: RETRY });
    expect(await (await fetch(`${indexer.url}/v1/nodes`)).text()).toBe(nodesBody);
    const h = await health(indexer.url);
    expect(h.conditions.chain_rpc.ok).toBe(false);
    expect(h.conditions.chain_rpc.lastError).toMatch(/^RPC_UNAVAILABLE/);
    proxy.down = false;
    await untilServed(indexer, key);
    await expectMatchesChain(indexer);
    await expect.poll(async () => (await health(indexer.url)).status, { timeout: 10_000 }).toBe("ok");
  }, 60_000);

  it("a reorg deeper than the confirmation depth: the orphaned events are rolled back, the new branch applied", async () => {
    const deep = await startIndexer(config(`sqlite:${join(dir(), "reorg.sqlite")}`, { confirmations: 2 }), {
      logger,
      retry: RETRY,
    });
    try {
      const forkBlock = await f.chain.provider.getBlockNumber();
      const snapshot = await f.chain.provider.send("evm_snapshot", []);
      const orphan = await f.registerNode({ operatorIndex: 1 });
      await f.mine(4);
      await untilServed(deep, orphan);
      const orphanHead = await f.chain.provider.getBlockNumber();
      await expect.poll(() => deep.follower.indexedTo, { timeout: 30_000 }).toBe(orphanHead - 2);
      // The orphaned branch is deeper than the 2 confirmations the indexer waited for.
      expect(deep.follower.indexedTo - forkBlock).toBeGreaterThan(2);
      const orphanedEvents = (await chainEventKeys(f, deep.follower.indexedTo)).length;
      await f.chain.provider.send("evm_revert", [snapshot]);
      const replacement = await f.registerNode({ operatorIndex: 1 });
      await f.mine(12);
      await untilServed(deep, replacement);
      await expect.poll(() => servedNodes(deep.url), { timeout: 10_000 }).not.toContain(orphan);
      expect(await metric(deep.url, "sns_indexer_reorgs_total")).toBeGreaterThanOrEqual(1);
      await expect
        .poll(() => deep.follower.indexedTo, { timeout: 10_000 })
        .toBe((await f.chain.provider.getBlockNumber()) - 2);
      const keys = await indexedEventKeys(deep.url);
      expect(keys).toEqual(await chainEventKeys(f, deep.follower.indexedTo));
      expect(keys.length).toBe(orphanedEvents);
    } finally {
      await deep.stop();
    }
  }, 90_000);
});
