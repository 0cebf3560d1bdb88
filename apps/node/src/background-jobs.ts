// The storage node's background work: registry polling and the swarm sync (rebalancing and
// catch-up) that membership changes start, redelivery, tombstone pulls and the expiry sweep.
import type { Logger } from "@session/service-kit";
import type { NodeConfig } from "./config.ts";
import type { registerNodeMetrics } from "./node-metrics.ts";
import type { Redelivery } from "./replication/redelivery.ts";
import type { SwarmSync } from "./replication/sync.ts";
import { DEFAULT_TOMBSTONE_PULL_MS, type Tombstones } from "./replication/tombstones.ts";
import type { SubaccountRevocations } from "./storage/revocations.ts";
import type { MessageStore } from "./storage/store.ts";
import type { Membership, RegistrySource } from "./swarm/membership.ts";

/** Expired rows one sweep statement removes. */
const SWEEP_STEP = 5000;
/** How often what a swarm peer missed (stores, deletes, …) is sent again. */
const REDELIVERY_MS = 5000;

export interface BackgroundJobsDeps {
  config: NodeConfig;
  clock: { now(): number };
  logger: Logger;
  counters: ReturnType<typeof registerNodeMetrics>;
  registry: RegistrySource;
  membership: Membership;
  store: MessageStore;
  revocations: SubaccountRevocations;
  sync: SwarmSync;
  redelivery: Redelivery;
  tombstones: Tombstones;
}

export interface BackgroundJobs {
  /** Re-reads the registry now (and waits for the sync a change starts). */
  refreshRegistry(): Promise<void>;
  /** Stops the timers; a sweep under way stops at its next step. */
  stop(): void;
  /** Resolves once the sync and the sweep under way (if any) have finished. */
  settled(): Promise<void>;
}

/** Reads the registry once, then starts the timers. */
export async function startBackgroundJobs(d: BackgroundJobsDeps): Promise<BackgroundJobs> {
  const { config, clock, logger, counters, membership, sync, redelivery, tombstones } = d;
  // Membership changes (and our own start) trigger rebalancing and catch-up; one run at a time.
  // Catch-up pulls the swarm's messages from each peer, so it runs only when this node is new to
  // its swarm (it just started, or a re-cut moved it), from the peers it found there; a peer that
  // did not answer every page is asked again at the next registry poll. Changes elsewhere in the
  // network leave it be: nodes that join our swarm pull from us.
  let catchUpIn: { swarm: bigint; pending: Set<string> } | undefined;
  let syncing: Promise<void> | undefined;
  const runSync = () => {
    syncing ??= (async () => {
      try {
        counters.rebalanced.inc(await sync.rebalance());
        const swarm = membership.mySwarm()?.id;
        if (swarm === undefined) catchUpIn = undefined;
        else {
          if (catchUpIn?.swarm !== swarm) {
            catchUpIn = { swarm, pending: new Set(membership.peers().map((p) => p.pubkey_ed25519)) };
          }
          if (catchUpIn.pending.size > 0) {
            const r = await sync.catchUp(catchUpIn.pending);
            // Then the deletes this node missed meanwhile (every peer's tombstones, the first time).
            await tombstones.pull();
            counters.caughtUp.inc(r.messages);
            for (const p of r.done) catchUpIn.pending.delete(p);
            // Peers that left the swarm meanwhile are not waited for.
            const current = new Set(membership.peers().map((p) => p.pubkey_ed25519));
            for (const p of catchUpIn.pending) if (!current.has(p)) catchUpIn.pending.delete(p);
          }
        }
      } catch (err) {
        logger.warn({ err: String(err) }, "swarm sync failed");
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  };
  membership.on("changed", () => {
    const s = membership.mySwarm();
    logger.info({ swarm: s?.id.toString(16), members: s?.members.length ?? 0 }, "swarm membership changed");
    void runSync();
  });
  const refreshRegistry = async () => {
    try {
      // A change runs the sync itself; without one, a catch-up still owed is retried.
      if (!membership.update(await d.registry.load()) && catchUpIn && catchUpIn.pending.size > 0)
        void runSync();
    } catch (err) {
      logger.warn({ err: String(err), source: d.registry.description }, "registry refresh failed");
    }
    await syncing;
  };
  await refreshRegistry();
  const registryTimer = setInterval(() => void refreshRegistry(), config.registry.pollMs);
  // What a peer missed is sent again every REDELIVERY_MS (one attempt at a time).
  const redeliveryTimer = setInterval(() => {
    if (redelivery.size > 0)
      redelivery.flush().catch((err: unknown) => logger.warn({ err: String(err) }, "redelivery failed"));
  }, REDELIVERY_MS);
  redeliveryTimer.unref();
  // Deletes a member missed for longer than redelivery tries (it was down or cut off) are
  // repaired from its peers' tombstones, pulled every TOMBSTONE_PULL_MS (tombstones.ts).
  const tombstoneTimer = setInterval(() => {
    tombstones.pull().catch((err: unknown) => logger.warn({ err: String(err) }, "tombstone pull failed"));
  }, config.tombstonePullMs ?? DEFAULT_TOMBSTONE_PULL_MS);
  tombstoneTimer.unref();
  // Expired messages go in steps of SWEEP_STEP rows, yielding between them, so a large backlog
  // (a node back after days) does not hold the event loop; one sweep runs at a time.
  let sweeping: Promise<void> | undefined;
  let stopped = false;
  const sweepTimer = setInterval(() => {
    sweeping ??= (async () => {
      try {
        for (;;) {
          const n = d.store.sweep(clock.now(), SWEEP_STEP);
          counters.swept.inc(n);
          if (n < SWEEP_STEP) break;
          await new Promise((r) => setImmediate(r));
          if (stopped) return;
        }
        d.revocations.dropOrphans();
        tombstones.sweep(clock.now());
      } catch (err) {
        logger.warn({ err: String(err) }, "sweep failed");
      } finally {
        sweeping = undefined;
      }
    })();
  }, config.sweepIntervalMs);
  registryTimer.unref();
  sweepTimer.unref();
  return {
    refreshRegistry,
    stop() {
      clearInterval(registryTimer);
      clearInterval(sweepTimer);
      clearInterval(redeliveryTimer);
      clearInterval(tombstoneTimer);
      stopped = true;
    },
    async settled() {
      await syncing;
      await sweeping;
    },
  };
}
