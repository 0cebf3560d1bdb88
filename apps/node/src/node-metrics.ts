import { Counter, Gauge, type Registry } from "prom-client";
import type { CheckpointStats } from "./storage/checkpointer.ts";

/** What the node's gauges read when scraped (each is called on every /metrics). */
export interface NodeGaugeSources {
  storedMessages(): number;
  swarmPeers(): number;
  revokedSubaccounts(): number;
  tombstones(): number;
  redeliveryQueued(): number;
  nodeLinks(): { in: number; out: number };
  /** Request signatures checked on the crypto thread so far (0 without one). */
  signaturesOnThread(): number;
  /** Onion layer X25519 shared secrets computed on the crypto thread so far (0 without one). */
  x25519OnThread(): number;
  /** The WAL checkpoint thread's counts (undefined for an in-memory store, which has none). */
  walCheckpoints(): CheckpointStats | undefined;
}

/**
 * The node's own metrics (`session_node_*`), registered on `registry`: the counters its parts
 * increment, returned by name, and the gauges, read from `sources` at each scrape.
 */
export function registerNodeMetrics(registry: Registry, sources: NodeGaugeSources) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name: `session_node_${name}`, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name: `session_node_${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });

  gauge("stored_messages", "Live messages stored", sources.storedMessages);
  gauge("swarm_peers", "Other members of this node's swarm", sources.swarmPeers);
  gauge("revoked_subaccounts", "Subaccount revocations stored (all accounts)", sources.revokedSubaccounts);
  gauge(
    "tombstones",
    "Tombstones kept for swarm members that missed a delete or expiry shortening",
    sources.tombstones,
  );
  gauge(
    "redelivery_queued",
    "Stores and other swarm-wide requests waiting for a second attempt to a swarm peer",
    sources.redeliveryQueued,
  );
  new Gauge({
    name: "session_node_node_links",
    help: "Open node links (persistent node-to-node onion relay connections), by who opened them",
    labelNames: ["direction"],
    registers: [registry],
    collect() {
      const open = sources.nodeLinks();
      this.set({ direction: "out" }, open.out);
      this.set({ direction: "in" }, open.in);
    },
  });

  // The WAL checkpoint thread (storage/checkpointer.ts): a log it stops keeping up with, or stops
  // starting over, ends up checkpointed inside the writers' commits (README "Checkpoints off the
  // event loop").
  const wal = (read: (s: CheckpointStats) => number) => () => {
    const stats = sources.walCheckpoints();
    return stats ? read(stats) : 0;
  };
  // Counts kept by the node's threads: the work the crypto thread (src/crypto-thread.ts) took off
  // the event loop, and the WAL checkpoint thread's.
  const fromThreads: [name: string, help: string, read: () => number][] = [
    [
      "session_node_signatures_checked_on_thread_total",
      "Request signatures checked on the node's crypto thread instead of its event loop",
      sources.signaturesOnThread,
    ],
    [
      "session_node_onion_x25519_on_thread_total",
      "Onion layer X25519 shared secrets computed on the node's crypto thread instead of its event loop",
      sources.x25519OnThread,
    ],
    [
      "session_node_wal_checkpoints_total",
      "WAL checkpoints run by the node's checkpoint thread",
      wal((s) => s.runs),
    ],
    [
      "session_node_wal_checkpointed_frames_total",
      "WAL frames (database pages) the checkpoint thread copied back into the database file",
      wal((s) => s.framesCheckpointed),
    ],
    [
      "session_node_wal_restarts_total",
      "Times the checkpoint thread started the WAL over (a RESTART checkpoint once the log is long)",
      wal((s) => s.restarts),
    ],
    [
      "session_node_wal_checkpoint_failures_total",
      "Checkpoint attempts of the checkpoint thread that failed (tried again at the next interval)",
      wal((s) => s.failures),
    ],
  ];
  for (const [name, help, read] of fromThreads) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  return {
    rebalanced: counter(
      "rebalanced_messages_total",
      "Messages pushed to another swarm after a membership change",
    ),
    caughtUp: counter("caught_up_messages_total", "Messages pulled from swarm peers"),
    redelivered: counter(
      "redelivered_messages_total",
      "Stores and other swarm-wide requests a swarm peer failed to take, sent again (delivered) or given up (dropped)",
      ["outcome"],
    ),
    syncPages: counter(
      "sync_pages_total",
      "Catch-up pages this node answered for a peer (served) or pulled from one (fetched)",
      ["direction"],
    ),
    swept: counter("expired_messages_total", "Expired messages removed"),
    tombstonesPulled: counter(
      "tombstones_pulled_total",
      "Tombstones (a client's signed delete or expiry shortening) pulled from swarm peers, by outcome: applied here, known already, refused (bad signature or shape), foreign (not our swarm)",
      ["outcome"],
    ),
  };
}
