import { fromBase64 } from "@session/crypto";
import {
  MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST,
  type MonitorMessageEvent,
  type MonitorSubscribeResult,
  type MonitorSubscriptionJson,
  type NodeInfo,
  openMonitorStream,
  renewMonitorSubscriptions,
} from "@session/protocol";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Subscription, SubscriptionRepo } from "../db/repo.ts";
import type { NotifyMessage } from "../domain/payload.ts";
import { type SwarmIndex, swarmIndex, swarmMembers } from "./nodes.ts";

export interface WatcherOptions {
  repo: SubscriptionRepo;
  /** HTTP to storage nodes only (self-signed: `nodeHttp()` from @session/node-tls). */
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
  /** First wait before reconnecting a failed stream; doubles per failure. Default 2 s. */
  retryMs?: number;
  /** Cap of that wait. Default 5 min. */
  maxRetryMs?: number;
  /** How long accounts avoid a node after its stream failed. Default 5 min. */
  avoidFailedMs?: number;
  /** Every subscription is re-sent on its open stream this often; under the nodes' 65 min. */
  renewMs?: number;
  /** Node list refresh (swarm changes) interval. Default 60 s. */
  nodesTtlMs?: number;
  /** Message hashes remembered for dedup. Default 100 000. */
  dedupSize?: number;
  /** Accounts on one stream before a second stream is opened on the same node (node default 100 000). */
  maxAccountsPerStream?: number;
  /** Subscriptions per request (the node takes at most 1000). */
  batchSize?: number;
  /** Time allowed for a node to answer a stream open or a subscribe request. Default 10 s. */
  requestTimeoutMs?: number;
  /** A stream with no event or keepalive for this long is dead (nodes send one every 25 s). Default 75 s. */
  idleTimeoutMs?: number;
}

type Opts = Required<Omit<WatcherOptions, "nodeScheme">> & { nodeScheme: "http" | "https" };

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });

/** The monitor subscriptions for an account's devices (identical ones sent once). */
export function monitorSubscriptions(subs: readonly Subscription[]): MonitorSubscriptionJson[] {
  const seen = new Set<string>();
  const out: MonitorSubscriptionJson[] = [];
  for (const s of subs) {
    if (seen.has(s.signature)) continue;
    seen.add(s.signature);
    out.push({
      pubkey: s.pubkey,
      ...(s.sessionEd25519 ? { session_ed25519: s.sessionEd25519 } : {}),
      ...(s.subaccount && s.subaccountSig
        ? { subaccount: s.subaccount, subaccount_sig: s.subaccountSig }
        : {}),
      namespaces: s.namespaces,
      data: s.wantData,
      sig_ts: s.sigTs,
      signature: s.signature,
    });
  }
  return out;
}

interface WatchedAccount {
  pubkey: string;
  subs: MonitorSubscriptionJson[];
  /** The streams it is placed on (one per chosen swarm member). */
  conns: Set<MonitorConnection>;
}

/** The watcher's side of a connection: what a MonitorConnection needs from it. */
interface ConnectionHost {
  opts: Opts;
  stopped: boolean;
  account(pubkey: string): WatchedAccount | undefined;
  onEvent(conn: MonitorConnection, m: MonitorMessageEvent): Promise<void>;
  onOpen(conn: MonitorConnection): void;
  onFailure(conn: MonitorConnection, err: unknown): number;
  onClosed(conn: MonitorConnection): void;
  subscribeRequests: Counter;
}

/**
 * One monitor stream on one node, carrying every account placed on that node: opened with the
 * first batch of subscriptions, the rest (and every later addition or change) sent on the open
 * stream with `/monitor/v1/subscribe` in batches, everything re-sent every `renewMs`.
 * A failed stream is reported to the watcher (which moves the accounts elsewhere) and reopened
 * with backoff while accounts remain on it.
 */
class MonitorConnection {
  readonly accounts = new Set<string>();
  /** Accounts the node accepted on the current stream. */
  readonly acked = new Set<string>();
  streamId: string | undefined;
  private readonly dirty = new Set<string>();
  private ctl: AbortController | undefined;
  /** Aborted when the connection is given up (no accounts left, watcher stopped). */
  private readonly life = new AbortController();
  private running = false;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly host: ConnectionHost,
    readonly node: NodeInfo,
    readonly url: string,
    /** 0 for the node's first stream, 1… for overflow streams. */
    readonly index: number,
  ) {}

  get key() {
    return `${this.node.pubkey_ed25519}@${this.url}`;
  }

  add(pubkey: string): void {
    this.accounts.add(pubkey);
    this.changed(pubkey);
  }

  /** The account's subscriptions changed: send them (now if the stream is open). */
  changed(pubkey: string): void {
    if (!this.accounts.has(pubkey) || this.life.signal.aborted) return;
    this.dirty.add(pubkey);
    if (!this.running) {
      // Open on the next turn, so accounts placed together go out in the opening request.
      this.running = true;
      setImmediate(() => void this.run());
    } else if (this.streamId) this.flush();
  }

  /**
   * Stops watching the account here. The node API has no unsubscribe: the account is no longer
   * renewed and lapses on the node within 65 minutes (or at once when this stream closes).
   */
  remove(pubkey: string): void {
    this.accounts.delete(pubkey);
    this.dirty.delete(pubkey);
    this.acked.delete(pubkey);
    if (this.accounts.size === 0) this.close();
  }

  /** Re-sends every subscription on the open stream (resets the nodes' 65-minute expiry). */
  renewAll(): void {
    if (!this.streamId) return;
    for (const pk of this.accounts) this.dirty.add(pk);
    this.flush();
  }

  /** Ends the stream for good (the node then drops every subscription on it). */
  close(): void {
    this.accounts.clear();
    this.dirty.clear();
    this.life.abort();
    this.ctl?.abort();
  }

  /** Up to batchSize subscriptions of dirty accounts (whole accounts), taken off the dirty set. */
  private takeBatch(): { pubkeys: string[]; subs: MonitorSubscriptionJson[] } {
    const max = Math.min(this.host.opts.batchSize, MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST);
    const pubkeys: string[] = [];
    const subs: MonitorSubscriptionJson[] = [];
    for (const pk of this.dirty) {
      const a = this.host.account(pk);
      if (!a || !this.accounts.has(pk)) {
        this.dirty.delete(pk);
        continue;
      }
      const mine = a.subs.slice(0, max);
      if (subs.length > 0 && subs.length + mine.length > max) break;
      this.dirty.delete(pk);
      for (const s of mine) {
        pubkeys.push(pk);
        subs.push(s);
      }
    }
    return { pubkeys, subs };
  }

  private applyResults(pubkeys: string[], results: MonitorSubscribeResult[]): void {
    const ok = new Set<string>();
    const refused: { pubkey: string; result: MonitorSubscribeResult }[] = [];
    results.forEach((r, i) => {
      const pk = pubkeys[i];
      if (pk === undefined) return;
      if ("success" in r) ok.add(pk);
      else refused.push({ pubkey: pk, result: r });
    });
    for (const pk of ok) if (this.accounts.has(pk)) this.acked.add(pk);
    if (refused.length > 0)
      this.host.opts.logger.warn(
        { node: this.node.pubkey_ed25519, refused: refused.slice(0, 10), count: refused.length },
        "node refused some monitor subscriptions",
      );
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = this.sendDirty().finally(() => {
      this.flushing = undefined;
      if (this.streamId && this.dirty.size > 0) this.flush();
    });
  }

  private async sendDirty(): Promise<void> {
    const { opts, subscribeRequests } = this.host;
    while (this.streamId && this.dirty.size > 0) {
      const stream = this.streamId;
      const ctl = this.ctl;
      const batch = this.takeBatch();
      if (batch.subs.length === 0) return;
      try {
        const res = await renewMonitorSubscriptions(opts.fetch, this.url, stream, batch.subs, {
          signal: AbortSignal.any([...(ctl ? [ctl.signal] : []), AbortSignal.timeout(opts.requestTimeoutMs)]),
        });
        subscribeRequests.inc({ result: "ok" });
        if (this.streamId === stream) this.applyResults(batch.pubkeys, res.results);
      } catch (err) {
        if (ctl?.signal.aborted) return;
        subscribeRequests.inc({ result: "failed" });
        // The stream is gone or the node is unwell: reopen (which re-sends everything).
        opts.logger.warn(
          { node: this.node.pubkey_ed25519, err: String(err) },
          "monitor subscribe failed: reopening the stream",
        );
        for (const pk of batch.pubkeys) this.dirty.add(pk);
        ctl?.abort(new Error(`subscribe request failed: ${String(err)}`));
        return;
      }
    }
  }

  private async run(): Promise<void> {
    const { host } = this;
    const { opts } = host;
    this.running = true;
    let failures = 0;
    try {
      while (!this.life.signal.aborted && this.accounts.size > 0) {
        const ctl = new AbortController();
        this.ctl = ctl;
        for (const pk of this.accounts) this.dirty.add(pk);
        let opened = false;
        let lastSeen = Date.now();
        const watchdog = setInterval(
          () => {
            const limit = opened ? opts.idleTimeoutMs : opts.requestTimeoutMs;
            if (Date.now() - lastSeen > limit)
              ctl.abort(new Error(opened ? "stream idle" : "open timed out"));
          },
          Math.min(1000, opts.requestTimeoutMs),
        );
        const renew = setInterval(() => this.renewAll(), opts.renewMs);
        try {
          const first = this.takeBatch();
          const events = await openMonitorStream(opts.fetch, this.url, first.subs, {
            signal: ctl.signal,
            onComment: () => {
              lastSeen = Date.now();
            },
          });
          let closed = false;
          for await (const ev of events) {
            lastSeen = Date.now();
            if (ev.event === "subscribed") {
              opened = true;
              failures = 0;
              this.streamId = ev.data.stream;
              this.applyResults(first.pubkeys, ev.data.results);
              host.onOpen(this);
              this.flush();
            } else if (ev.event === "message") {
              await host.onEvent(this, ev.data);
            } else {
              opts.logger.info(
                { node: this.node.pubkey_ed25519, reason: ev.data.reason },
                "monitor stream closed by node",
              );
              closed = true;
              break;
            }
          }
          if (this.life.signal.aborted) break;
          throw new Error(closed ? "stream closed by the node" : "stream ended");
        } catch (err) {
          if (this.life.signal.aborted) break;
          failures++;
          const reason = ctl.signal.aborted ? ctl.signal.reason : err;
          const wait = host.onFailure(this, reason);
          opts.logger.warn(
            { node: this.node.pubkey_ed25519, err: String(reason), accountsLeft: this.accounts.size },
            "monitor stream failed",
          );
          if (this.accounts.size > 0) await sleep(Math.max(wait, failures === 1 ? 100 : 0), this.life.signal);
        } finally {
          clearInterval(watchdog);
          clearInterval(renew);
          if (opened) host.onClosed(this);
          this.streamId = undefined;
          this.acked.clear();
          ctl.abort();
        }
      }
    } finally {
      this.running = false;
      this.ctl = undefined;
      // An account added just as the loop ended: start again.
      if (!this.life.signal.aborted && this.accounts.size > 0) {
        this.running = true;
        void this.run();
      }
    }
  }
}

/**
 * Watches every subscribed account on `nodesPerAccount` members of its swarm through the nodes'
 * monitor streams. All accounts watched on a node share one stream to it (more only past
 * `maxAccountsPerStream`); a new account or a changed subscription is sent on the open stream.
 * On a node failure its accounts move to other members of their swarms; on a node list change
 * (swarm membership) accounts are re-placed. Messages several nodes report are deduplicated.
 */
export class Watcher implements ConnectionHost {
  readonly opts: Opts;
  stopped = false;
  private readonly accounts = new Map<string, WatchedAccount>();
  /** Streams by node key (ed25519@url); usually one each. */
  private readonly conns = new Map<string, MonitorConnection[]>();
  /** Nodes whose stream failed: avoided until `until`. */
  private readonly failed = new Map<string, { count: number; until: number }>();
  /** Per-account chain of refreshes, so they apply in order. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly seen = new Map<string, true>();
  private index: { at: number; fingerprint: string; swarms: SwarmIndex } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rebalancing: Promise<void> | undefined;
  private loading: Promise<void> | undefined;
  private readonly streams: Gauge;
  private readonly messages: Counter;
  private readonly failures: Counter;
  private readonly moves: Counter;
  readonly subscribeRequests: Counter;

  constructor(options: WatcherOptions) {
    this.opts = {
      nodeScheme: "https",
      nodesPerAccount: 2,
      retryMs: 2000,
      maxRetryMs: 5 * 60_000,
      avoidFailedMs: 5 * 60_000,
      renewMs: 30 * 60_000,
      nodesTtlMs: 60_000,
      dedupSize: 100_000,
      maxAccountsPerStream: 100_000,
      batchSize: MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST,
      requestTimeoutMs: 10_000,
      idleTimeoutMs: 75_000,
      ...options,
    };
    const r = [options.registry];
    this.streams = new Gauge({ name: "push_monitor_streams", help: "Open monitor streams", registers: r });
    const self = this;
    new Gauge({
      name: "push_monitor_stream_accounts",
      help: "Accounts subscribed on each open monitor stream (node = its Ed25519 key, stream = index on that node)",
      labelNames: ["node", "stream"],
      registers: r,
      collect() {
        this.reset();
        for (const list of self.conns.values())
          for (const c of list)
            if (c.streamId) this.set({ node: c.node.pubkey_ed25519, stream: String(c.index) }, c.acked.size);
      },
    });
    new Gauge({
      name: "push_watched_accounts",
      help: "Accounts being watched",
      registers: r,
      collect() {
        this.set(self.accounts.size);
      },
    });
    this.messages = new Counter({
      name: "push_monitor_messages_total",
      help: "Message events: new, duplicate (seen from another node), unwatched (account no longer watched) or failed (not queued; a later copy is handled)",
      labelNames: ["result"],
      registers: r,
    });
    this.failures = new Counter({
      name: "push_monitor_stream_failures_total",
      help: "Streams that failed",
      registers: r,
    });
    this.moves = new Counter({
      name: "push_monitor_account_moves_total",
      help: "Accounts placed on a different node (failure, swarm change)",
      registers: r,
    });
    this.subscribeRequests = new Counter({
      name: "push_monitor_subscribe_requests_total",
      help: "/monitor/v1/subscribe batches sent on open streams",
      labelNames: ["result"],
      registers: r,
    });
  }

  async start(): Promise<void> {
    await Promise.all((await this.opts.repo.accounts()).map((pk) => this.sync(pk)));
    this.timer = setInterval(() => void this.rebalance(), this.opts.nodesTtlMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const list of this.conns.values()) for (const c of list) c.close();
    this.conns.clear();
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
    for (const list of this.conns.values()) for (const c of list) c.renewAll();
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
      for (const c of existing.conns) this.detach(c, pubkey);
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
        const listed = new Set(list.map((n) => `${n.pubkey_ed25519}@${this.urlOf(n)}`));
        for (const k of this.failed.keys()) if (!listed.has(k)) this.failed.delete(k);
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
        const now = Date.now();
        let recovered = false;
        for (const f of this.failed.values())
          if (f.count > 0 && f.until <= now) {
            recovered = true;
            f.count = -f.count; // kept for the backoff, no longer avoided
          }
        if (recovered) this.placeAll();
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

  private avoided(n: NodeInfo): boolean {
    const f = this.failed.get(`${n.pubkey_ed25519}@${this.urlOf(n)}`);
    return f !== undefined && f.count > 0 && f.until > Date.now();
  }

  /**
   * The members an account should be watched on: `nodesPerAccount` of its swarm, starting at a
   * position taken from the account id (spreading accounts over all members), skipping nodes that
   * failed recently unless there are not enough others.
   */
  private choose(pubkey: string, swarms: SwarmIndex): NodeInfo[] {
    const members = swarmMembers(swarms, pubkey);
    if (members.length === 0) return [];
    const start = Number.parseInt(pubkey.slice(2, 10), 16) % members.length;
    const ring = [...members.slice(start), ...members.slice(0, start)];
    const n = Math.min(this.opts.nodesPerAccount, ring.length);
    const good = ring.filter((m) => !this.avoided(m));
    const bad = ring.filter((m) => this.avoided(m));
    return [...good, ...bad].slice(0, n);
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
      const wantKeys = new Set(want.map((n) => `${n.pubkey_ed25519}@${this.urlOf(n)}`));
      const have = new Set([...account.conns].map((c) => c.key));
      for (const n of want) {
        const key = `${n.pubkey_ed25519}@${this.urlOf(n)}`;
        if (have.has(key)) continue;
        const conn = this.connFor(n);
        account.conns.add(conn);
        conn.add(account.pubkey);
        if (have.size > 0) this.moves.inc();
      }
      for (const conn of account.conns) if (!wantKeys.has(conn.key)) leaving.push({ account, conn });
    }
    for (const { account, conn } of leaving) {
      account.conns.delete(conn);
      this.detach(conn, account.pubkey);
    }
  }

  private connFor(n: NodeInfo): MonitorConnection {
    const url = this.urlOf(n);
    const key = `${n.pubkey_ed25519}@${url}`;
    const list = this.conns.get(key) ?? [];
    this.conns.set(key, list);
    const room = list.find((c) => c.accounts.size < this.opts.maxAccountsPerStream);
    if (room) return room;
    const conn = new MonitorConnection(this, n, url, list.length);
    list.push(conn);
    return conn;
  }

  private detach(conn: MonitorConnection, pubkey: string): void {
    conn.remove(pubkey);
    if (conn.accounts.size > 0) return;
    const list = this.conns.get(conn.key);
    if (!list) return;
    const rest = list.filter((c) => c !== conn);
    if (rest.length > 0) this.conns.set(conn.key, rest);
    else this.conns.delete(conn.key);
  }

  account(pubkey: string): WatchedAccount | undefined {
    return this.accounts.get(pubkey);
  }

  onOpen(conn: MonitorConnection): void {
    this.streams.inc();
    const f = this.failed.get(conn.key);
    if (f) this.failed.delete(conn.key);
  }

  onClosed(_conn: MonitorConnection): void {
    this.streams.dec();
  }

  /** A stream failed: avoid its node for a while and move its accounts to other members. */
  onFailure(conn: MonitorConnection, _err: unknown): number {
    this.failures.inc();
    const prev = this.failed.get(conn.key);
    const count = Math.abs(prev?.count ?? 0) + 1;
    this.failed.set(conn.key, { count, until: Date.now() + this.opts.avoidFailedMs });
    const swarms = this.index?.swarms;
    if (swarms)
      this.place(
        [...conn.accounts].flatMap((pk) => this.accounts.get(pk) ?? []),
        swarms,
      );
    return Math.min(this.opts.maxRetryMs, this.opts.retryMs * 2 ** (count - 1));
  }

  async onEvent(_conn: MonitorConnection, m: MonitorMessageEvent): Promise<void> {
    if (!this.accounts.has(m.pubkey)) {
      // Unsubscribed (or moved away and not yet lapsed on that node): nothing to notify.
      this.messages.inc({ result: "unwatched" });
      return;
    }
    const key = `${m.pubkey}:${m.hash}`;
    if (this.seen.has(key)) {
      this.messages.inc({ result: "duplicate" });
      return;
    }
    this.seen.set(key, true);
    if (this.seen.size > this.opts.dedupSize) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.messages.inc({ result: "new" });
    try {
      await this.opts.onMessage({
        pubkey: m.pubkey,
        hash: m.hash,
        namespace: m.namespace,
        timestamp: m.timestamp,
        expiry: m.expiry,
        ...(m.data !== undefined ? { data: fromBase64(m.data) } : {}),
      });
    } catch (err) {
      // Not queued (e.g. the database write failed): forget it, so the copy another member of the
      // swarm reports is handled instead of being dropped as a duplicate.
      this.seen.delete(key);
      this.messages.inc({ result: "failed" });
      this.opts.logger.error({ err: String(err), pubkey: m.pubkey }, "handling a message failed");
    }
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
  streamStats(): {
    node: string;
    url: string;
    stream: string | undefined;
    accounts: number;
    acked: number;
  }[] {
    const out = [];
    for (const list of this.conns.values())
      for (const c of list)
        out.push({
          node: c.node.pubkey_ed25519,
          url: c.url,
          stream: c.streamId,
          accounts: c.accounts.size,
          acked: c.acked.size,
        });
    return out;
  }

  private streamsOf(pubkey: string): MonitorConnection[] {
    const a = this.accounts.get(pubkey);
    if (!a) return [];
    return [...a.conns].filter((c) => c.streamId !== undefined && c.acked.has(pubkey));
  }
}
