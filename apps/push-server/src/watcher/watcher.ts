import type { NodeInfo } from "@session/protocol";
import type { MonitorMessageEvent } from "@session/protocol/monitor";
import { backoffMs } from "@session/service-kit";
import { FailedNodes } from "./failed-nodes.ts";
import { MessageIntake } from "./message-intake.ts";
import {
  type ConnectionHost,
  type MonitorConnection,
  monitorSubscriptions,
  type WatchedAccount,
} from "./monitor-connection.ts";
import { type SwarmIndex, swarmIndex, swarmMembers } from "./nodes.ts";
import { type Opts, type WatcherOptions, withDefaults } from "./options.ts";
import { chooseMembers } from "./placement.ts";
import { StreamPool, type StreamStats } from "./stream-pool.ts";
import { type WatcherMetrics, watcherMetrics } from "./watcher-metrics.ts";

export { monitorSubscriptions } from "./monitor-connection.ts";
export type { WatcherOptions } from "./options.ts";

/**
 * Watches the accounts that have push subscriptions: each is placed on `nodesPerAccount` members
 * of its swarm (failed nodes avoided for a while), watched there over monitor streams, and moved
 * when the node list or a stream changes; what the nodes report goes to `onMessage`.
 */
export class Watcher implements ConnectionHost {
  readonly opts: Opts;
  stopped = false;
  private readonly accounts = new Map<string, WatchedAccount>();
  private readonly streams = new StreamPool(this);
  /** Nodes whose stream failed, avoided for a while. */
  private readonly failed = new FailedNodes();
  /** Per-account chain of refreshes, so they apply in order. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly intake: MessageIntake;
  private index: { at: number; fingerprint: string; swarms: SwarmIndex } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rebalancing: Promise<void> | undefined;
  private loading: Promise<void> | undefined;
  private readonly metrics: WatcherMetrics;
  /** Counted by the connections (ConnectionHost). */
  get subscribeRequests() {
    return this.metrics.subscribeRequests;
  }

  constructor(options: WatcherOptions) {
    this.opts = withDefaults(options);
    this.metrics = watcherMetrics(options.registry, {
      accounts: () => this.accounts.size,
      streams: () => this.streams.all(),
    });
    this.intake = new MessageIntake(this.opts, this.metrics.messages);
  }

  async start(): Promise<void> {
    await Promise.all((await this.opts.repo.accounts()).map((pk) => this.sync(pk)));
    this.timer = setInterval(() => void this.rebalance(), this.opts.nodesTtlMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.streams.closeAll();
  }

  /**
   * Subscriptions of an account changed: send them on its open streams (no gap), place a new
   * account, or stop watching it when none are left.
   */
  refresh(pubkey: string): void {
    void this.sync(pubkey);
  }

  /** Re-sends every subscription on its open stream now (the periodic renewal, on demand). */
  renewAll(): void {
    for (const c of this.streams.all()) c.renewAll();
  }

  /** Resolves once every refresh asked for so far has been applied (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending.values(), this.rebalancing]);
  }

  private sync(pubkey: string): Promise<void> {
    const next = (this.pending.get(pubkey) ?? Promise.resolve())
      .then(() => this.apply(pubkey))
      .catch((err: unknown) =>
        this.opts.logger.error({ err: String(err), pubkey }, "watching an account failed"),
      );
    this.pending.set(pubkey, next);
    void next.finally(() => {
      if (this.pending.get(pubkey) === next) this.pending.delete(pubkey);
    });
    return next;
  }

  private async apply(pubkey: string): Promise<void> {
    if (this.stopped) return;
    const subs = monitorSubscriptions(await this.opts.repo.forAccount(pubkey));
    const existing = this.accounts.get(pubkey);
    if (subs.length === 0) {
      if (!existing) return;
      this.accounts.delete(pubkey);
      for (const c of existing.conns) this.streams.detach(c, pubkey);
      return;
    }
    const account = existing ?? { pubkey, subs, conns: new Set<MonitorConnection>() };
    const changed = existing !== undefined && JSON.stringify(existing.subs) !== JSON.stringify(subs);
    account.subs = subs;
    this.accounts.set(pubkey, account);
    this.place([account], await this.swarms());
    if (changed) for (const c of account.conns) c.changed(pubkey);
  }

  private async swarms(): Promise<SwarmIndex> {
    if (!this.index || Date.now() - this.index.at >= this.opts.nodesTtlMs) await this.reloadNodes();
    if (!this.index) throw new Error("no node list");
    return this.index.swarms;
  }

  /** Fetches the node list (one request at a time); a changed list re-places every account. */
  private reloadNodes(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const list = await this.opts.listNodes();
        const fingerprint = list
          .filter((n) => n.active !== false)
          .map((n) => `${n.pubkey_ed25519}/${n.swarm_id}/${n.public_ip}:${n.storage_port}`)
          .sort()
          .join(",");
        const first = this.index === undefined;
        if (!first && this.index?.fingerprint === fingerprint) {
          this.index.at = Date.now();
          return;
        }
        this.index = { at: Date.now(), fingerprint, swarms: swarmIndex(list) };
        if (!first)
          this.opts.logger.info({ nodes: list.length }, "node list changed: re-placing watched accounts");
        // Failure records of nodes that left the list are of no further use.
        this.failed.keepOnly(new Set(list.map((n) => this.keyOf(n))));
        // Also places accounts that could not be placed before (no node list yet).
        this.placeAll();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private placeAll(): void {
    const swarms = this.index?.swarms;
    if (!swarms) return;
    this.place([...this.accounts.values()], swarms);
  }

  /**
   * Periodic node list refresh (swarm membership changes re-place accounts, see reloadNodes);
   * when a failed node's avoidance has run out, accounts are placed again so it gets its share.
   */
  private rebalance(): Promise<void> {
    this.rebalancing ??= (async () => {
      try {
        await this.reloadNodes();
        if (this.failed.endLapsed(Date.now())) this.placeAll();
      } catch (err) {
        this.opts.logger.warn({ err: String(err) }, "node list refresh failed");
      } finally {
        this.rebalancing = undefined;
      }
    })();
    return this.rebalancing;
  }

  private urlOf(n: NodeInfo): string {
    return `${this.opts.nodeScheme}://${n.public_ip}:${n.storage_port}`;
  }

  /** A node's stream key, as MonitorConnection.key. */
  private keyOf(n: NodeInfo): string {
    return `${n.pubkey_ed25519}@${this.urlOf(n)}`;
  }

  private choose(pubkey: string, swarms: SwarmIndex): NodeInfo[] {
    const now = Date.now();
    return chooseMembers(pubkey, swarmMembers(swarms, pubkey), this.opts.nodesPerAccount, (n) =>
      this.failed.isAvoided(this.keyOf(n), now),
    );
  }

  /**
   * Puts each account on the members it should be watched on. Every account is added to its new
   * members before any leaves an old one: no gap in watching, and a stream that loses some
   * accounts while it gains others stays open (detaching first could empty and close it, then
   * open a new one to the same node a moment later).
   */
  private place(accounts: readonly WatchedAccount[], swarms: SwarmIndex): void {
    if (this.stopped) return;
    const leaving: { account: WatchedAccount; conn: MonitorConnection }[] = [];
    for (const account of accounts) {
      const want = this.choose(account.pubkey, swarms);
      const wantKeys = new Set(want.map((n) => this.keyOf(n)));
      const have = new Set([...account.conns].map((c) => c.key));
      for (const n of want) {
        if (have.has(this.keyOf(n))) continue;
        const conn = this.streams.forNode(n, this.urlOf(n));
        account.conns.add(conn);
        conn.add(account.pubkey);
        if (have.size > 0) this.metrics.moves.inc();
      }
      for (const conn of account.conns) if (!wantKeys.has(conn.key)) leaving.push({ account, conn });
    }
    for (const { account, conn } of leaving) {
      account.conns.delete(conn);
      this.streams.detach(conn, account.pubkey);
    }
  }

  account(pubkey: string): WatchedAccount | undefined {
    return this.accounts.get(pubkey);
  }

  onOpen(conn: MonitorConnection): void {
    this.metrics.streams.inc();
    this.failed.opened(conn.key);
  }

  onClosed(_conn: MonitorConnection): void {
    this.metrics.streams.dec();
  }

  /** A stream failed: avoid its node for a while and move its accounts to other members. */
  onFailure(conn: MonitorConnection, _err: unknown): number {
    this.metrics.failures.inc();
    const count = this.failed.fail(conn.key, Date.now() + this.opts.avoidFailedMs);
    const swarms = this.index?.swarms;
    if (swarms)
      this.place(
        [...conn.accounts].flatMap((pk) => this.accounts.get(pk) ?? []),
        swarms,
      );
    return backoffMs(count, { baseMs: this.opts.retryMs, maxMs: this.opts.maxRetryMs });
  }

  async onEvent(_conn: MonitorConnection, m: MonitorMessageEvent): Promise<void> {
    if (!this.accounts.has(m.pubkey)) {
      // Unsubscribed (or moved away and not yet lapsed on that node): nothing to notify.
      this.metrics.messages.inc({ result: "unwatched" });
      return;
    }
    return this.intake.take(m);
  }

  /** Streams on which the node accepted this account's subscriptions. */
  openStreams(pubkey: string): number {
    return this.streamsOf(pubkey).length;
  }

  /** The node-assigned ids of those streams. */
  streamIds(pubkey: string): string[] {
    return this.streamsOf(pubkey)
      .map((c) => c.streamId as string)
      .sort();
  }

  /** Ed25519 keys of the nodes watching this account (accepted on an open stream). */
  nodesOf(pubkey: string): string[] {
    return this.streamsOf(pubkey)
      .map((c) => c.node.pubkey_ed25519)
      .sort();
  }

  /** Every stream: node, id (while open), accounts placed on it and accepted by the node. */
  streamStats(): StreamStats[] {
    return this.streams.stats();
  }

  private streamsOf(pubkey: string): MonitorConnection[] {
    const a = this.accounts.get(pubkey);
    if (!a) return [];
    return [...a.conns].filter((c) => c.streamId !== undefined && c.acked.has(pubkey));
  }
}
