import type { NodeInfo } from "@session/protocol";
import {
  MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST,
  type MonitorMessageEvent,
  type MonitorSubscribeResult,
  type MonitorSubscriptionJson,
  openMonitorStream,
  renewMonitorSubscriptions,
} from "@session/protocol/monitor";
import type { Counter } from "prom-client";
import type { Subscription } from "../db/repo.ts";
import type { Opts } from "./options.ts";

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

export interface WatchedAccount {
  pubkey: string;
  subs: MonitorSubscriptionJson[];
  /** The streams it is placed on (one per chosen swarm member). */
  conns: Set<MonitorConnection>;
}

/** The watcher's side of a connection: what a MonitorConnection needs from it. */
export interface ConnectionHost {
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
export class MonitorConnection {
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
        ctl?.abort(new Error(`subscribe request failed: ${String(err)}`, { cause: err }));
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
