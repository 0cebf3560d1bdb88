import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NodeConfig, type RunningNode, startNode } from "@session/node";
import { loopbackNodeConfig } from "@session/node/testing";
import type { NodeInfo } from "@session/protocol";
import { createLogger } from "@session/service-kit";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import type { NotifyMessage } from "../src/domain/payload.ts";
import { swarmMembers } from "../src/watcher/nodes.ts";
import { Watcher } from "../src/watcher/watcher.ts";
import { newAccount, subscribeBody, subscriptionRow, waitFor } from "./helpers.ts";

// The watcher against one real storage node (its monitor routes, hub and signature checks) on
// loopback: batching past the 1000-per-request limit, overflow streams on one node, and a node
// restart (stream lost, reopened, everything subscribed again).

const dir = mkdtempSync(join(tmpdir(), "push-watcher-"));
const logger = createLogger({ name: "watcher-test", level: "silent" });
let running: RunningNode;
let config: NodeConfig;
let node: NodeInfo;
let repo: SqliteSubscriptionRepo;
const pubkeys: string[] = [];

const startOurNode = (port: number) =>
  startNode({ ...config, port }, { logger, registry: { description: "none", load: async () => [] } });

/** Requests for `route` the node has served since it started (its own /metrics). */
async function served(route: string, url = running.url): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const re = new RegExp(
    `session_node_http_requests_total\\{method="POST",route="${route}",status="200"\\} (\\d+)`,
  );
  return Number(text.match(re)?.[1] ?? 0);
}

beforeAll(async () => {
  config = loopbackNodeConfig(join(dir, "node"));

  running = await startOurNode(0);
  node = { ...running.info, swarm_id: "0" };
  repo = SqliteSubscriptionRepo.open(join(dir, "subs.sqlite"));
  // 1500 accounts: more than one request (1000) can carry.
  for (let i = 0; i < 1500; i++) {
    const keys = newAccount();
    const b = subscribeBody(keys, { token: `t${i}` });
    await repo.upsert(subscriptionRow(b));
    pubkeys.push(b.pubkey);
  }
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await repo?.close();
  rmSync(dir, { recursive: true, force: true });
});

let watcher: Watcher | undefined;
afterEach(() => {
  watcher?.stop();
  watcher = undefined;
});

function startWatcher(
  extra: { maxAccountsPerStream?: number; nodesTtlMs?: number; listNodes?: () => Promise<NodeInfo[]> } = {},
) {
  const got: NotifyMessage[] = [];
  const registry = new Registry();
  const w = new Watcher({
    repo,
    fetch,
    listNodes: async () => [node],
    onMessage: (m) => {
      got.push(m);
    },
    logger,
    registry,
    nodeScheme: "http",
    retryMs: 100,
    ...extra,
  });
  watcher = w;
  return { w, got };
}

/** What the node's store announces for a newly stored message (as its RPC handler does). */
const store = (pubkey: string, hash: string) =>
  running.ctx.events.emit("stored", {
    pubkey,
    namespace: 0,
    hash,
    timestamp: Date.now(),
    expiry: Date.now() + 86_400_000,
    data: new Uint8Array(4),
  });

describe("watcher against a node's monitor service", () => {
  it("puts 1500 accounts on one stream, in requests of at most 1000 subscriptions", async () => {
    const opens = await served("/monitor/v1/stream");
    const subscribes = await served("/monitor/v1/subscribe");
    const { w, got } = startWatcher();
    await w.start();
    // acked counts the node's per-subscription success results.
    await waitFor("all accepted", () => w.streamStats()[0]?.acked === 1500, 30_000);
    expect(w.streamStats()).toHaveLength(1);
    expect(await served("/monitor/v1/stream")).toBe(opens + 1);
    // Placed together, so 1000 go in the opening request and the other 500 in one subscribe.
    expect(await served("/monitor/v1/subscribe")).toBe(subscribes + 1);
    store(pubkeys[0]!, "h-first");
    store(pubkeys[1499]!, "h-last");
    await waitFor("two messages", () => got.length === 2);
    expect(got.map((m) => m.hash).sort()).toEqual(["h-first", "h-last"]);
  }, 60_000);

  it("a message whose handling failed is not remembered: the next report of it is handled", async () => {
    const registry = new Registry();
    const duplicateReports = async () =>
      (await registry.getSingleMetric("push_monitor_messages_total")?.get())?.values.find(
        (v) => v.labels.result === "duplicate",
      )?.value ?? 0;
    let fail = true;
    const handled: string[] = [];
    const w = new Watcher({
      repo,
      fetch,
      listNodes: async () => [node],
      onMessage: (m) => {
        if (fail) {
          fail = false;
          throw new Error("database unavailable");
        }
        handled.push(m.hash);
      },
      logger,
      registry,
      nodeScheme: "http",
      retryMs: 100,
    });
    watcher = w;
    await w.start();
    await waitFor("all accepted", () => w.streamStats()[0]?.acked === 1500, 30_000);
    // As when a second swarm member reports the same message after the first report failed.
    store(pubkeys[7]!, "h-retry");
    await waitFor("first report failed", () => !fail);
    store(pubkeys[7]!, "h-retry");
    await waitFor("second report handled", () => handled.length === 1);
    const duplicates = await duplicateReports();
    store(pubkeys[7]!, "h-retry");
    await waitFor("the third report counted", async () => (await duplicateReports()) > duplicates);
    // Once handled it is a duplicate again.
    expect(handled).toEqual(["h-retry"]);
  }, 60_000);

  it("opens a further stream on the same node past maxAccountsPerStream", async () => {
    const opens = await served("/monitor/v1/stream");
    const { w } = startWatcher({ maxAccountsPerStream: 600 });
    await w.start();
    await waitFor("all accepted", () => w.streamStats().reduce((a, s) => a + s.acked, 0) === 1500, 30_000);
    const stats = w.streamStats();
    expect(stats.map((s) => s.accounts).sort((a, b) => a - b)).toEqual([300, 600, 600]);
    expect(new Set(stats.map((s) => s.stream)).size).toBe(3);
    expect(await served("/monitor/v1/stream")).toBe(opens + 3);
  }, 60_000);

  it("reopens the stream when the node restarts, subscribing every account again", async () => {
    // The node comes back on a new port (its old one is not reclaimed: another process could hold
    // it by then), announced through the node list as a moved endpoint is on the network.
    const { w, got } = startWatcher({ nodesTtlMs: 200, listNodes: async () => [node] });
    await w.start();
    await waitFor("all accepted", () => w.streamStats()[0]?.acked === 1500, 30_000);
    const first = w.streamStats()[0]!.stream;
    await running.stop();
    await waitFor("the stream gone", () => w.streamStats()[0]?.stream === undefined);
    running = await startOurNode(0);
    node = { ...running.info, swarm_id: "0" };
    await waitFor(
      "a new stream with every account",
      () => w.streamStats()[0]?.stream !== undefined && w.streamStats()[0]?.acked === 1500,
      30_000,
    );
    expect(w.streamStats()[0]!.stream).not.toBe(first);
    expect(w.streamStats()).toHaveLength(1);
    expect(await served("/monitor/v1/stream")).toBe(1);
    store(pubkeys[700]!, "h-after");
    await waitFor("the message", () => got.some((m) => m.hash === "h-after"));
  }, 60_000);

  it("places the accounts once a node list arrives, when none could be had at start", async () => {
    let calls = 0;
    const { w } = startWatcher({
      nodesTtlMs: 200,
      listNodes: async () => {
        if (++calls <= 2) throw new Error("seed unreachable");
        return [node];
      },
    });
    await w.start();
    expect(w.streamStats()).toHaveLength(0);
    await waitFor("all accepted", () => w.streamStats()[0]?.acked === 1500, 30_000);
    expect(calls).toBeGreaterThan(2);
  }, 60_000);

  it("a re-placement that moves a node's accounts away while others move onto it keeps its one stream", async () => {
    // N1 (the node above) and two more; one swarm; each account on one node.
    const more = await Promise.all(
      [2, 3].map((i) =>
        startNode(loopbackNodeConfig(join(dir, `node${i}`)), {
          logger,
          registry: { description: "none", load: async () => [] },
        }),
      ),
    );
    try {
      const [n2, n3] = more.map((r) => ({ ...r.info, swarm_id: "0" })) as [NodeInfo, NodeInfo];
      const before = [node, n2];
      const after = [node, n2, n3];
      // The watcher starts an account's ring at its id modulo the swarm's size.
      const at = (pk: string, list: NodeInfo[]) => {
        const members = swarmMembers(list, pk); // by Ed25519 key, as the watcher orders them
        return members[Number.parseInt(pk.slice(2, 10), 16) % members.length]!.pubkey_ed25519;
      };
      const find = (want: (pk: string) => boolean) => {
        for (;;) {
          const b = subscribeBody(newAccount(), { token: `t-${Math.random()}` });
          if (want(b.pubkey)) return b;
        }
      };
      // The two accounts swap nodes: `a` from N1 to N2, `b` from N2 to N1. Whichever is placed
      // first, one node would hold neither for a moment if accounts left before others arrived.
      const [k1, k2] = [node.pubkey_ed25519, n2.pubkey_ed25519];
      const a = find((pk) => at(pk, before) === k1 && at(pk, after) === k2);
      const b = find((pk) => at(pk, before) === k2 && at(pk, after) === k1);
      const ownRepo = SqliteSubscriptionRepo.open(join(dir, "replace.sqlite"));
      for (const x of [a, b]) await ownRepo.upsert(subscriptionRow(x));
      let list = before;
      const urls = [running.url, more[0]!.url];
      const opens = () => Promise.all(urls.map((u) => served("/monitor/v1/stream", u)));
      const opensBefore = await opens();
      const w = new Watcher({
        repo: ownRepo,
        fetch,
        listNodes: async () => list,
        onMessage: () => {},
        logger,
        registry: new Registry(),
        nodeScheme: "http",
        retryMs: 100,
        nodesTtlMs: 100,
        nodesPerAccount: 1,
      });
      watcher = w;
      await w.start();
      const on = (n: NodeInfo) => w.streamStats().filter((s) => s.node === n.pubkey_ed25519);
      await waitFor(
        "both accounts watched",
        () => on(node)[0]?.acked === 1 && on(n2)[0]?.acked === 1,
        10_000,
      );
      list = after;
      await waitFor(
        "the swap",
        () =>
          w.nodesOf(a.pubkey).includes(n2.pubkey_ed25519) &&
          w.nodesOf(b.pubkey).includes(node.pubkey_ed25519) &&
          on(node)[0]?.acked === 1 &&
          on(n2)[0]?.acked === 1,
        10_000,
      );
      // Each node kept the stream it had: one open in all, never closed and opened again.
      expect(on(node)).toHaveLength(1);
      expect(on(n2)).toHaveLength(1);
      expect((await opens()).map((n, k) => n - opensBefore[k]!)).toEqual([1, 1]);
      w.stop();
      watcher = undefined;
      await ownRepo.close();
    } finally {
      await Promise.all(more.map((r) => r.stop()));
    }
  }, 60_000);
});
