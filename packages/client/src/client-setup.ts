import { NodeTlsError, nodeHttp, type PinnedSeed, parseSeed, seedHttp } from "@session/node-tls";
import { Attachments } from "./attachments.ts";
import type { SwarmNetwork } from "./client-network.ts";
import type { SessionClientOptions } from "./client-options.ts";
import { ClientError } from "./errors.ts";
import { NetworkClock } from "./network/clock.ts";
import { NodeHealth } from "./network/node-health.ts";
import { NodePool } from "./network/nodes.ts";
import { OnionTransport } from "./network/transport.ts";
import { Push } from "./push.ts";
import { MemoryClientStore } from "./state/memory-store.ts";
import { openSqliteStore } from "./state/sqlite-store.ts";
import type { ClientStore } from "./state/store.ts";

// Builds what a SessionClient is made of from its options: the store, the network objects and
// the services reached through them (split out of client.ts, whose constructor calls this).

/** A SessionClient's parts: what it exposes, and what it must close. */
export interface ClientParts {
  store: ClientStore;
  /** True when the store was opened here (the client closes it), false when the caller gave it. */
  ownsStore: boolean;
  clock: NetworkClock;
  pool: NodePool;
  transport: OnionTransport;
  attachments: Attachments;
  push: Push;
  /** The routing view of the parts above (client-network.ts). */
  net: SwarmNetwork;
  /** The HTTP dispatchers opened here, closed with the client. */
  dispatchers: { close(): Promise<void> }[];
}

/**
 * Parses the seeds (BAD_SEED), opens the seed and node dispatchers unless `o.fetch` replaces
 * them, opens the store and wires the clock and node pool to it. Store writes never hold up the
 * caller: their failures go to `report`.
 */
export function setUpClient(o: SessionClientOptions, report: (err: Error) => void): ClientParts {
  let seeds: PinnedSeed[];
  try {
    seeds = o.seeds.map(parseSeed);
  } catch (err) {
    if (err instanceof NodeTlsError)
      throw new ClientError("BAD_SEED", err.message, undefined, { cause: err });
    throw err;
  }
  const dispatchers: { close(): Promise<void> }[] = [];
  const own = <T extends { close(): Promise<void> }>(d: T): T => {
    dispatchers.push(d);
    return d;
  };
  const persist = (p: Promise<void>): void => {
    p.catch((err: unknown) => report(err as Error));
  };
  const seedFetch = o.fetch ?? own(seedHttp(seeds)).fetch;
  const nodeFetch = o.fetch ?? own(nodeHttp()).fetch;
  const scheme = (seeds[0]?.url ?? "https://").startsWith("http://") ? "http" : "https";
  const store =
    o.store ?? (o.dataDir ? openSqliteStore(o.dataDir, o.identity.sessionId) : new MemoryClientStore());
  const clock = new NetworkClock(o.now, 0, (offset) => persist(store.setClockOffset(offset)));
  const pool = new NodePool(
    seeds.map((s) => s.url),
    seedFetch,
    {
      onReplace: (nodes, at) => persist(store.saveNodeCache({ nodes: [...nodes], savedAt: at })),
      onSeedReply: (body, sentAt, receivedAt) => clock.observe(body, sentAt, receivedAt),
      now: () => clock.localNow(),
    },
  );
  const options = o.network ?? {};
  const transport = new OnionTransport(() => pool.list(), {
    scheme,
    fetch: nodeFetch,
    health: new NodeHealth(options),
    ...(options.pathAttempts !== undefined ? { attempts: options.pathAttempts } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const net: SwarmNetwork = {
    pool,
    transport,
    clock,
    options,
    stats: { networkRefreshes: 0, seedRefreshes: 0, cacheStarts: 0 },
    refresh: { lastTry: 0, inFlight: undefined },
  };
  return {
    store,
    ownsStore: !o.store,
    clock,
    pool,
    transport,
    attachments: new Attachments(transport, o.fileServer),
    push: new Push(transport, o.identity, o.pushServer),
    net,
    dispatchers,
  };
}
