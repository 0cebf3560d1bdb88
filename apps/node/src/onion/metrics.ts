import { Counter, Histogram, type Registry } from "prom-client";
import type { OnionReply } from "./reply.ts";

export interface OnionMetrics {
  /** Records one handled onion request: its outcome, error code and time spent at this hop. */
  observe(reply: OnionReply, seconds: number): void;
}

/** Reuses a metric already registered under `name` (two apps may share one registry). */
function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function onionMetrics(registry: Registry): OnionMetrics {
  const requests = getOrCreate(
    registry,
    "session_node_onion_requests_total",
    () =>
      new Counter({
        name: "session_node_onion_requests_total",
        help: "Onion requests handled by this node, by outcome (final, node, server, rejected) and error code",
        labelNames: ["outcome", "code"] as const,
        registers: [registry],
      }),
  );
  const hopSeconds = getOrCreate(
    registry,
    "session_node_onion_hop_seconds",
    () =>
      new Histogram({
        name: "session_node_onion_hop_seconds",
        help: "Time from receiving an onion request to answering it, including the rest of the path",
        labelNames: ["outcome"] as const,
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
  );
  return {
    observe(reply, seconds) {
      requests.inc({ outcome: reply.outcome, code: reply.code ?? "ok" });
      hopSeconds.observe({ outcome: reply.outcome }, seconds);
    },
  };
}
