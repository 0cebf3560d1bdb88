import { Counter, Gauge, type Registry } from "prom-client";
import type { MonitorConnection } from "./monitor-connection.ts";

/** The watcher's metrics; gauges read the watcher's state when scraped. */
export interface WatcherMetrics {
  streams: Gauge;
  messages: Counter;
  failures: Counter;
  moves: Counter;
  subscribeRequests: Counter;
}

export function watcherMetrics(
  registry: Registry,
  state: { accounts(): number; streams(): readonly MonitorConnection[] },
): WatcherMetrics {
  const registers = [registry];
  new Gauge({
    name: "push_monitor_stream_accounts",
    help: "Accounts subscribed on each open monitor stream (node = its Ed25519 key, stream = index on that node)",
    labelNames: ["node", "stream"],
    registers,
    collect() {
      this.reset();
      for (const c of state.streams())
        if (c.streamId) this.set({ node: c.node.pubkey_ed25519, stream: String(c.index) }, c.acked.size);
    },
  });
  new Gauge({
    name: "push_watched_accounts",
    help: "Accounts being watched",
    registers,
    collect() {
      this.set(state.accounts());
    },
  });
  return {
    streams: new Gauge({ name: "push_monitor_streams", help: "Open monitor streams", registers }),
    messages: new Counter({
      name: "push_monitor_messages_total",
      help: "Message events: new, duplicate (seen from another node), unwatched (account no longer watched) or failed (not queued; a later copy is handled)",
      labelNames: ["result"],
      registers,
    }),
    failures: new Counter({
      name: "push_monitor_stream_failures_total",
      help: "Streams that failed",
      registers,
    }),
    moves: new Counter({
      name: "push_monitor_account_moves_total",
      help: "Accounts placed on a different node (failure, swarm change)",
      registers,
    }),
    subscribeRequests: new Counter({
      name: "push_monitor_subscribe_requests_total",
      help: "/monitor/v1/subscribe batches sent on open streams",
      labelNames: ["result"],
      registers,
    }),
  };
}
