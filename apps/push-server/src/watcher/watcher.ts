import { fromBase64 } from "@session/crypto";
import { type MonitorSubscriptionJson, openMonitorStream, renewMonitorSubscriptions } from "@session/node";
import type { NodeInfo } from "@session/protocol";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Subscription, SubscriptionRepo } from "../db/repo.ts";
import type { NotifyMessage } from "../domain/payload.ts";
import { swarmMembers } from "./nodes.ts";

export interface WatcherOptions {
  repo: SubscriptionRepo;
  fetch: typeof fetch;
  listNodes: () => Promise<NodeInfo[]>;
  /** Called once per new message (deduplicated by account + hash across nodes). */
  onMessage: (msg: NotifyMessage) => Promise<void> | void;
  logger: Logger;
  registry: Registry;
  /** "http" on the devnet; real nodes serve https. */
  nodeScheme?: "http" | "https";
  /** Swarm members watched per account. Default 2. */
  nodesPerAccount?: number;
  /** Wait before reconnecting a failed stream. Default 2 s. */
  retryMs?: number;
  /** Streams are reopened (re-sending the subscriptions) this often; under the nodes' 65 min. */
  renewMs?: number;
  /** Node list cache lifetime. Default 60 s. */
  nodesTtlMs?: number;
  /** Message hashes remembered for dedup. Default 100 000. */
  dedupSize?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

/** The monitor subscriptions for an account's devices (identical ones sent once). */
export function monitorSubscriptions(subs: readonly Subscription[]): MonitorSubscriptionJson[] {
  const seen = new Set<string>();
  const out: MonitorSubscriptionJson[] = [];
  for (const s of subs) {
    const key = `${s.signature}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      pubkey: s.pubkey,
      ...(s.sessionEd25519 ? { session_ed25519: s.sessionEd25519 } : {}),
      namespaces: s.namespaces,
      data: s.wantData,
      sig_ts: s.sigTs,
      signature: s.signature,
    });
  }
  return out;
}

/**
 * Watches every subscribed account on `nodesPerAccount` members of its swarm through the nodes'
 * monitor streams, reconnecting (to the next member) on failure and deduplicating messages that
 * several nodes report.
 */
export class Watcher {
  private readonly watches = new Map<string, AbortController>();
  private readonly seen = new Map<string, true>();
  /** Subscribed streams per account: slot → node URL and stream id. */
  private readonly live = new Map<string, Map<number, { url: string; stream: string }>>();
  /** Bumped on every subscription change, so a stream opened with older subscriptions renews. */
  private readonly versions = new Map<string, number>();
  private nodes: { at: number; list: NodeInfo[] } | undefined;
  private stopped = false;
  private readonly streams: Gauge;
  private readonly messages: Counter;
  private readonly failures: Counter;

  constructor(private readonly opts: WatcherOptions) {
    const r = [opts.registry];
    this.streams = new Gauge({ name: "push_monitor_streams", help: "Open monitor streams", registers: r });
    this.messages = new Counter({
      name: "push_monitor_messages_total",
      help: "Message events",
      labelNames: ["result"],
      registers: r,
    });
    this.failures = new Counter({
      name: "push_monitor_stream_failures_total",
      help: "Streams that failed",
      registers: r,
    });
  }

  async start(): Promise<void> {
    for (const pk of await this.opts.repo.accounts()) this.refresh(pk);
  }

  /**
   * Subscriptions of an account changed: renew them on its open streams (no gap), start watching
   * a new account, or stop when none are left. A failed renewal restarts the streams.
   */
  refresh(pubkey: string): void {
    if (this.stopped) return;
    this.versions.set(pubkey, (this.versions.get(pubkey) ?? 0) + 1);
    const ctl = this.watches.get(pubkey);
    if (ctl && !ctl.signal.aborted) void this.renew(pubkey, ctl);
    else this.restart(pubkey);
  }

  private restart(pubkey: string): void {
    this.watches.get(pubkey)?.abort();
    const ctl = new AbortController();
    this.watches.set(pubkey, ctl);
    const n = this.opts.nodesPerAccount ?? 2;
    for (let slot = 0; slot < n; slot++) void this.run(pubkey, slot, n, ctl);
  }

  private async renew(pubkey: string, ctl: AbortController): Promise<void> {
    try {
      const subs = await this.opts.repo.forAccount(pubkey);
      if (subs.length === 0) {
        ctl.abort();
        if (this.watches.get(pubkey) === ctl) this.watches.delete(pubkey);
        return;
      }
      const streams = [...(this.live.get(pubkey)?.values() ?? [])];
      await Promise.all(
        streams.map((s) =>
          renewMonitorSubscriptions(this.opts.fetch, s.url, s.stream, monitorSubscriptions(subs), {
            signal: AbortSignal.timeout(10_000),
          }),
        ),
      );
    } catch (err) {
      if (ctl.signal.aborted || this.stopped) return;
      this.opts.logger.warn({ err: String(err) }, "renewing monitor subscriptions failed: reopening streams");
      this.restart(pubkey);
    }
  }

  /** Streams currently subscribed for an account (tests, health). */
  openStreams(pubkey: string): number {
    return this.live.get(pubkey)?.size ?? 0;
  }

  /** The node-assigned ids of those streams. */
  streamIds(pubkey: string): string[] {
    return [...(this.live.get(pubkey)?.values() ?? [])].map((s) => s.stream).sort();
  }

  private setLive(pubkey: string, slot: number, v: { url: string; stream: string } | undefined): void {
    let m = this.live.get(pubkey);
    if (v) {
      if (!m) {
        m = new Map();
        this.live.set(pubkey, m);
      }
      m.set(slot, v);
    } else if (m) {
      m.delete(slot);
      if (m.size === 0) this.live.delete(pubkey);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.watches.values()) c.abort();
    this.watches.clear();
  }

  private async listNodes(): Promise<NodeInfo[]> {
    const ttl = this.opts.nodesTtlMs ?? 60_000;
    if (this.nodes && Date.now() - this.nodes.at < ttl) return this.nodes.list;
    const list = await this.opts.listNodes();
    this.nodes = { at: Date.now(), list };
    return list;
  }

  private async run(pubkey: string, slot: number, slots: number, ctl: AbortController): Promise<void> {
    const { logger } = this.opts;
    const scheme = this.opts.nodeScheme ?? "https";
    let attempt = 0;
    while (!ctl.signal.aborted) {
      let open = false;
      let subscribed = false;
      try {
        const version = this.versions.get(pubkey) ?? 0;
        const subs = await this.opts.repo.forAccount(pubkey);
        if (subs.length === 0) {
          if (this.watches.get(pubkey) === ctl) this.watches.delete(pubkey);
          return;
        }
        const members = swarmMembers(await this.listNodes(), pubkey);
        // Fewer members than slots: the extra slots stay idle rather than double-watching a node.
        if (members.length <= slot) return;
        const node = members[(slot + attempt * slots) % members.length] as NodeInfo;
        const url = `${scheme}://${node.public_ip}:${node.storage_port}`;
        const signal = AbortSignal.any([ctl.signal, AbortSignal.timeout(this.opts.renewMs ?? 30 * 60_000)]);
        const events = await openMonitorStream(this.opts.fetch, url, monitorSubscriptions(subs), { signal });
        open = true;
        this.streams.inc();
        for await (const ev of events) {
          if (ev.event === "subscribed") {
            const bad = ev.data.results.filter((r) => !("success" in r));
            if (bad.length > 0) logger.warn({ results: bad }, "node refused some monitor subscriptions");
            if (!subscribed && bad.length < ev.data.results.length) {
              subscribed = true;
              this.setLive(pubkey, slot, { url, stream: ev.data.stream });
              // Subscriptions changed while this stream was opening: bring it up to date.
              if ((this.versions.get(pubkey) ?? 0) !== version) void this.renew(pubkey, ctl);
            }
          } else if (ev.event === "message") {
            const m = ev.data;
            const key = `${m.pubkey}:${m.hash}`;
            if (this.seen.has(key)) {
              this.messages.inc({ result: "duplicate" });
              continue;
            }
            this.seen.set(key, true);
            if (this.seen.size > (this.opts.dedupSize ?? 100_000)) {
              const oldest = this.seen.keys().next().value;
              if (oldest !== undefined) this.seen.delete(oldest);
            }
            this.messages.inc({ result: "new" });
            await this.opts.onMessage({
              pubkey: m.pubkey,
              hash: m.hash,
              namespace: m.namespace,
              timestamp: m.timestamp,
              expiry: m.expiry,
              ...(m.data !== undefined ? { data: fromBase64(m.data) } : {}),
            });
          } else {
            logger.info({ reason: ev.data.reason }, "monitor stream closed by node");
            break;
          }
        }
        attempt = 0;
      } catch (err) {
        if (ctl.signal.aborted) break;
        if (!(err instanceof Error && err.name === "TimeoutError")) {
          this.failures.inc();
          attempt++;
          logger.warn({ err: String(err), slot }, "monitor stream failed: reconnecting");
        }
      } finally {
        if (open) this.streams.dec();
        if (subscribed) this.setLive(pubkey, slot, undefined);
      }
      await sleep(attempt === 0 ? 100 : (this.opts.retryMs ?? 2000), ctl.signal);
    }
  }
}
