import { sign, toHex } from "@session/crypto";
import { isRetryable } from "@session/errors";
import type { NodeInfo } from "@session/protocol";
import type { NetworkOptions } from "./client-options.ts";
import { ClientError } from "./errors.ts";
import type { Identity } from "./identity.ts";
import type { NetworkClock } from "./network/clock.ts";
import { type NodePool, parseNodeList } from "./network/nodes.ts";
import type { OnionTransport, RpcReply } from "./network/transport.ts";
import type { ClientStore } from "./state/store.ts";

// How a SessionClient reaches its swarms: keeping the node list fresh and routing each RPC to a
// member that answers (split out of client.ts, whose class delegates here).

/** A path of 3 plus a destination: below this many usable nodes nothing can be sent. */
const MIN_USABLE = 4;
/** Background refreshes are at most this frequent (ms). */
const MIN_REFRESH_GAP_MS = 10_000;

export interface ClientStats {
  networkRefreshes: number;
  seedRefreshes: number;
  cacheStarts: number;
}

/** The client's node-list refresh state: one refresh in flight at most, and when it last began. */
export interface RefreshState {
  lastTry: number;
  inFlight: Promise<void> | undefined;
}

/** What routing needs of the client (its own objects, passed by reference). */
export interface SwarmNetwork {
  pool: NodePool;
  transport: OnionTransport;
  clock: NetworkClock;
  options: NetworkOptions;
  stats: ClientStats;
  refresh: RefreshState;
}

export type RpcSigner = ReturnType<typeof signerOf>;

/** Signs storage RPCs with the account's Ed25519 key. */
export function signerOf(identity: Identity) {
  const keys = identity.keys;
  return {
    sign: (m: Uint8Array) => sign(m, keys.ed25519.secretKey),
    ed25519PubkeyHex: toHex(keys.ed25519.publicKey),
  };
}

/**
 * Gets the node list: from `store`'s cache when one is there and a node of it answers (its clock
 * teaches ours), from the seeds otherwise (a SessionClient's `connect`).
 */
export async function connectNetwork(
  net: SwarmNetwork,
  store: Pick<ClientStore, "clockOffset" | "nodeCache">,
): Promise<NodeInfo[]> {
  const offset = await store.clockOffset();
  if (offset !== undefined) net.clock.adopt(offset);
  const cached = await store.nodeCache();
  if (cached && cached.nodes.length >= MIN_USABLE) {
    net.pool.replace(cached.nodes, cached.savedAt);
    if (await probe(net)) {
      net.stats.cacheStarts++;
      return [...net.pool.list()];
    }
  }
  const list = await net.pool.bootstrap();
  net.refresh.lastTry = net.clock.localNow();
  return list;
}

/** Asks a random usable node for its `info` (through an onion path); true when one answered. */
async function probe(net: SwarmNetwork, dest?: NodeInfo): Promise<boolean> {
  const via = net.transport.usableNodes();
  const node = dest ?? via[Math.floor(Math.random() * via.length)];
  if (!node) return false;
  try {
    const sentAt = net.clock.localNow();
    const r = await net.transport.rpc(node, "info", {});
    net.clock.observe(r.body, sentAt, net.clock.localNow());
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * Keeps the node list fresh, as Session's clients do: fetched again from the network (a random
 * usable node, through an onion path) in the background when it is old or few nodes are usable,
 * and from the seeds — waited for — when too few are usable to build a path at all.
 */
async function maintainPool(net: SwarmNetwork): Promise<void> {
  const usable = net.transport.usableNodes().length;
  if (usable < MIN_USABLE) {
    await refreshPool(net, true);
    return;
  }
  const now = net.clock.localNow();
  const stale = now - net.pool.refreshedAt > (net.options.refreshIntervalMs ?? 10 * 60_000);
  const low = usable < (net.options.lowWater ?? 8);
  if ((stale || low) && now - net.refresh.lastTry >= MIN_REFRESH_GAP_MS) {
    void refreshPool(net, false).catch(() => {});
  }
}

/** One refresh at a time; `urgent` goes straight to the seeds. */
function refreshPool(net: SwarmNetwork, urgent: boolean): Promise<void> {
  net.refresh.inFlight ??= (async () => {
    net.refresh.lastTry = net.clock.localNow();
    if (!urgent) {
      try {
        const via = net.transport.usableNodes();
        const node = via[Math.floor(Math.random() * via.length)];
        if (node) {
          const r = await net.transport.rpc(node, "oxend_request", { endpoint: "get_service_nodes" });
          if (r.status === 200 && net.pool.replace(parseNodeList(r.body))) {
            net.stats.networkRefreshes++;
            return;
          }
        }
      } catch {
        // fall back to the seeds
      }
    }
    await net.pool.bootstrap();
    net.stats.seedRefreshes++;
    // Listed but all struck out: give every node another chance rather than give up.
    if (net.transport.usableNodes().length < MIN_USABLE) net.transport.health.forgiveAll();
  })().finally(() => {
    net.refresh.inFlight = undefined;
  });
  return net.refresh.inFlight;
}

/**
 * Runs an RPC against a member of `account`'s swarm: another member when one is unreachable,
 * and the right swarm when a node answers 421.
 */
export async function swarmRpc(
  net: SwarmNetwork,
  account: string,
  method: string,
  params: Record<string, unknown> | ((dest: NodeInfo) => unknown),
): Promise<RpcReply & { node: NodeInfo }> {
  let lastErr: unknown;
  let clockChecked = false;
  const tried = new Set<string>();
  const health = net.transport.health;
  const budget = net.options.destinationAttempts ?? 6;
  for (let attempt = 0; attempt < budget; attempt++) {
    await maintainPool(net);
    const members = net.pool.swarmOf(account);
    // Untried members that have not struck out first; then any untried; then any usable one.
    const fresh = members.filter((m) => !tried.has(m.pubkey_ed25519));
    const choices = [
      fresh.filter((m) => health.usable(m.pubkey_ed25519)),
      fresh,
      members.filter((m) => health.usable(m.pubkey_ed25519)),
    ].find((c) => c.length > 0);
    const dest = choices?.[Math.floor(Math.random() * choices.length)];
    if (!dest) break;
    tried.add(dest.pubkey_ed25519);
    try {
      const sentAt = net.clock.localNow();
      const r = await net.transport.rpc(
        dest,
        method,
        typeof params === "function" ? await params(dest) : params,
      );
      net.clock.observe(r.body, sentAt, net.clock.localNow());
      if (r.status === 406 && !clockChecked && typeof params === "function") {
        // A timestamp out of the node's window: learn its clock and sign again.
        clockChecked = true;
        await probe(net, dest);
        tried.delete(dest.pubkey_ed25519);
        lastErr = new ClientError("REQUEST_FAILED", `${method}: ${JSON.stringify(r.body)}`, r.status);
        continue;
      }
      if (r.status >= 500) {
        // The destination itself failed (as session-desktop does: a strike, another member).
        health.strike(dest.pubkey_ed25519);
        lastErr = new ClientError(
          "REQUEST_FAILED",
          `${method} failed at the node: ${JSON.stringify(r.body)}`,
        );
        continue;
      }
      if (r.status !== 421) return { ...r, node: dest };
      const snodes = (r.body as { snodes?: { pubkey_ed25519: string }[] })?.snodes ?? [];
      net.pool.learnSwarm(account, snodes);
      tried.clear();
    } catch (err) {
      lastErr = err;
      // Another member (or a later try) can help unless the error says it cannot.
      if (!isRetryable(err, true)) throw err;
    }
  }
  if (lastErr) throw lastErr;
  throw new ClientError("NETWORK_UNAVAILABLE", "no reachable node in this account's swarm");
}
