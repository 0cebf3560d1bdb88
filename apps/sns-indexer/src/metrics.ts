import { Counter, Gauge, type Registry } from "prom-client";
import type { Follower } from "./domain/follower.ts";

/**
 * The indexer's own metrics: progress counters, and gauges read from the follower at scrape time
 * (head, indexed block, lag, chain RPC and database conditions).
 */
export function registerIndexerMetrics(registry: Registry, follower: () => Follower) {
  const registers = [registry];
  const gauge = (name: string, help: string, value: (f: Follower) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value(follower()));
      },
    });
  gauge("sns_indexer_indexed_block", "Last indexed block", (f) => f.indexedTo);
  gauge("sns_indexer_head_block", "Last head block the chain RPC reported", (f) => f.head);
  gauge(
    "sns_indexer_lag_blocks",
    "Blocks between the last known head and the last indexed block",
    (f) => f.lagBlocks,
  );
  gauge("sns_indexer_chain_rpc_up", "1 while the chain RPC answers, 0 while calls fail", (f) =>
    f.conditions.chainRpc.ok ? 1 : 0,
  );
  gauge(
    "sns_indexer_chain_rpc_last_success_seconds",
    "Unix time of the last answered chain RPC call (0: none yet)",
    (f) => (f.conditions.chainRpc.lastSuccessAt ?? 0) / 1000,
  );
  gauge(
    "sns_indexer_chain_rpc_consecutive_failures",
    "Chain RPC calls failed since the last success",
    (f) => f.conditions.chainRpc.consecutiveFailures,
  );
  gauge("sns_indexer_database_up", "1 while the database answers, 0 while it fails", (f) =>
    f.conditions.database.ok ? 1 : 0,
  );
  gauge("sns_indexer_disk_full", "1 while writes fail for lack of disk space", (f) =>
    f.conditions.diskFull.active ? 1 : 0,
  );
  new Counter({
    name: "sns_indexer_chain_rpc_errors_total",
    help: "Failed chain RPC calls by error code (each retry counts)",
    labelNames: ["code"],
    registers,
    collect() {
      this.reset();
      for (const [code, n] of follower().conditions.rpcErrors) this.inc({ code }, n);
    },
  });
  return {
    batches: new Counter({ name: "sns_indexer_batches_total", help: "Log batches committed", registers }),
    events: new Counter({ name: "sns_indexer_events_total", help: "Contract events indexed", registers }),
    reorgs: new Counter({ name: "sns_indexer_reorgs_total", help: "Reorganisations rolled back", registers }),
  };
}
