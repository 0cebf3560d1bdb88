import { randomBytes } from "node:crypto";
import { toBase64 } from "@session/crypto";
import {
  MONITOR_EXPIRY_MS,
  type MonitorCloseEvent,
  MonitorErrorCode,
  type MonitorMessageEvent,
  type MonitorSubscribeResult,
} from "@session/protocol/monitor";
import type { SignatureVerifier } from "@session/protocol/rpc";
import { checkSubscription } from "./verify.ts";

/** A message just stored, as the node's `stored` event carries it. */
export interface StoredMessage {
  pubkey: string;
  namespace: number;
  hash: string;
  timestamp: number;
  expiry: number;
  data: Uint8Array;
}

export interface MonitorLimits {
  /** Open streams at once; more are refused with 503. */
  maxStreams: number;
  /** Open streams from one source address; more are refused with 429. */
  maxStreamsPerSource: number;
  /**
   * A stream with no live subscription (none accepted, or all lapsed: not renewed within
   * `expiryMs`) is closed once it is this old; nobody can be notified on it.
   */
  emptyStreamGraceMs: number;
  /** Accounts one stream may watch; extra subscriptions get BAD_ARGS. */
  maxSubscriptionsPerStream: number;
  /** Events waiting for a slow reader before the stream is dropped. */
  maxQueuedEvents: number;
  /** Subscription lifetime after its last (re)send. */
  expiryMs: number;
}

export const DEFAULT_MONITOR_LIMITS: MonitorLimits = {
  maxStreams: 256,
  maxStreamsPerSource: 16,
  emptyStreamGraceMs: 5000,
  maxSubscriptionsPerStream: 100_000,
  maxQueuedEvents: 10_000,
  expiryMs: MONITOR_EXPIRY_MS,
};

interface AccountWatch {
  /** Sorted, unique. */
  namespaces: number[];
  wantData: boolean;
  expiresAt: number;
}

export type StreamEvent =
  | { event: "message"; data: MonitorMessageEvent }
  | { event: "close"; data: MonitorCloseEvent };

/** One subscriber connection: its watches and its bounded queue of outgoing events. */
export class MonitorStream {
  readonly id = randomBytes(16).toString("hex");
  readonly watches = new Map<string, AccountWatch>();
  private readonly queue: StreamEvent[] = [];
  private wake: (() => void) | undefined;
  private onClosed: (() => void) | undefined;
  closed = false;

  constructor(
    private readonly maxQueued: number,
    /** Who opened it (a remote address, kept in memory only, never logged). */
    readonly source: string,
    readonly openedAt: number,
  ) {}

  /** Queues an event; false when the queue is full (the caller then drops this stream). */
  push(e: StreamEvent): boolean {
    if (this.closed) return true;
    if (this.queue.length >= this.maxQueued) return false;
    this.queue.push(e);
    this.wake?.();
    return true;
  }

  /** Ends the stream after queued events, with a final `close` event. */
  close(data: MonitorCloseEvent): void {
    if (this.closed) return;
    this.queue.push({ event: "close", data });
    this.closed = true;
    this.wake?.();
    this.onClosed?.();
  }

  /** Called once when the hub closes this stream (slow reader, shutdown). */
  whenClosed(fn: () => void): void {
    this.onClosed = fn;
  }

  /** Ends the stream at once (the reader went away). */
  abort(): void {
    this.closed = true;
    this.queue.length = 0;
    this.wake?.();
  }

  /** Waits up to `ms` for events; returns what is queued ([] on timeout; [] and closed at the end). */
  async next(ms: number): Promise<StreamEvent[]> {
    if (this.queue.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
    return this.queue.splice(0, this.queue.length);
  }

  get pending(): number {
    return this.queue.length;
  }
}

/**
 * Subscriptions of all streams, indexed by account, and fan-out of stored messages to them.
 * Semantics of oxenss update_monitors/get_notifiers: re-subscribing an account on the same
 * stream merges its namespaces, ORs the data flag and resets the 65-minute expiry.
 */
export class MonitorHub {
  private readonly streams = new Map<string, MonitorStream>();
  private readonly perSource = new Map<string, number>();
  private readonly byAccount = new Map<string, Set<MonitorStream>>();
  private readonly limits: MonitorLimits;

  constructor(
    private readonly deps: { now(): number; verifier: SignatureVerifier; limits?: Partial<MonitorLimits> },
  ) {
    this.limits = { ...DEFAULT_MONITOR_LIMITS, ...deps.limits };
  }

  /** A new stream, or why not: the node serves maxStreams, or `source` maxStreamsPerSource. */
  open(source: string): MonitorStream | "full" | "source_full" {
    if (this.streams.size >= this.limits.maxStreams) return "full";
    const mine = this.perSource.get(source) ?? 0;
    if (mine >= this.limits.maxStreamsPerSource) return "source_full";
    const s = new MonitorStream(this.limits.maxQueuedEvents, source, this.deps.now());
    this.streams.set(s.id, s);
    this.perSource.set(source, mine + 1);
    return s;
  }

  get(id: string): MonitorStream | undefined {
    const s = this.streams.get(id);
    return s && !s.closed ? s : undefined;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Forgets a stream and its watches (after close or abort); removing twice is harmless. */
  remove(stream: MonitorStream): void {
    if (this.streams.delete(stream.id)) {
      const left = (this.perSource.get(stream.source) ?? 1) - 1;
      if (left > 0) this.perSource.set(stream.source, left);
      else this.perSource.delete(stream.source);
    }
    for (const pk of stream.watches.keys()) this.unindex(pk, stream);
    stream.watches.clear();
  }

  /** Checks and applies subscriptions; one result per input, in order. */
  subscribe(stream: MonitorStream, inputs: readonly unknown[]): MonitorSubscribeResult[] {
    const now = this.deps.now();
    this.sweep(stream, now);
    return inputs.map((input): MonitorSubscribeResult => {
      const check = checkSubscription(input, now, this.deps.verifier);
      if (!check.ok) return check.result;
      const { pubkey, namespaces, wantData } = check.sub;
      const existing = stream.watches.get(pubkey);
      if (existing) {
        existing.namespaces = [...new Set([...existing.namespaces, ...namespaces])].sort((a, b) => a - b);
        existing.wantData ||= wantData;
        existing.expiresAt = now + this.limits.expiryMs;
        return { success: true };
      }
      if (stream.watches.size >= this.limits.maxSubscriptionsPerStream) {
        return { errcode: MonitorErrorCode.BAD_ARGS, error: "Too many subscriptions on this stream" };
      }
      stream.watches.set(pubkey, { namespaces, wantData, expiresAt: now + this.limits.expiryMs });
      const set = this.byAccount.get(pubkey) ?? new Set<MonitorStream>();
      set.add(stream);
      this.byAccount.set(pubkey, set);
      return { success: true };
    });
  }

  /** Whether any stream watches any account (a cluster owner reads new rows only then). */
  watching(): boolean {
    return this.byAccount.size > 0;
  }

  /** Sends a stored message to every live watch of its account and namespace. */
  publish(m: StoredMessage): void {
    const pubkey = m.pubkey.toLowerCase();
    const streams = this.byAccount.get(pubkey);
    if (!streams) return;
    const now = this.deps.now();
    let withData: MonitorMessageEvent | undefined;
    const meta: MonitorMessageEvent = {
      pubkey,
      hash: m.hash,
      namespace: m.namespace,
      timestamp: m.timestamp,
      expiry: m.expiry,
    };
    for (const stream of [...streams]) {
      const watch = stream.watches.get(pubkey);
      if (!watch) continue;
      if (watch.expiresAt < now) {
        stream.watches.delete(pubkey);
        this.unindex(pubkey, stream);
        continue;
      }
      if (!watch.namespaces.includes(m.namespace)) continue;
      if (watch.wantData && !withData) withData = { ...meta, data: toBase64(m.data) };
      const data = watch.wantData && withData ? withData : meta;
      if (!stream.push({ event: "message", data })) {
        // Drop a reader that cannot keep up rather than buffer without bound.
        stream.close({
          reason: "slow_consumer",
          message: `more than ${this.limits.maxQueuedEvents} notifications waiting; reconnect and resubscribe`,
        });
        this.remove(stream);
      }
    }
  }

  /** Live subscriptions on the stream (lapsed ones are dropped on the way). */
  liveWatches(stream: MonitorStream): number {
    this.sweep(stream, this.deps.now());
    return stream.watches.size;
  }

  /**
   * Closes streams that hold no live subscription and are older than emptyStreamGraceMs: one
   * opened without a valid subscription, or whose subscriptions all lapsed (not renewed within
   * the 65-minute expiry). Without this, such streams would hold their slots for ever.
   */
  closeEmpty(): number {
    const now = this.deps.now();
    let closed = 0;
    for (const s of [...this.streams.values()]) {
      this.sweep(s, now);
      if (s.watches.size > 0 || now - s.openedAt < this.limits.emptyStreamGraceMs) continue;
      s.close({
        reason: "expired",
        message: "no live subscription on this stream; reconnect and resubscribe",
      });
      this.remove(s);
      closed++;
    }
    return closed;
  }

  /** Closes every stream (node shutdown). */
  closeAll(): void {
    for (const s of [...this.streams.values()]) {
      s.close({ reason: "shutdown", message: "node shutting down" });
      this.remove(s);
    }
  }

  private sweep(stream: MonitorStream, now: number): void {
    for (const [pk, w] of stream.watches) {
      if (w.expiresAt < now) {
        stream.watches.delete(pk);
        this.unindex(pk, stream);
      }
    }
  }

  private unindex(pubkey: string, stream: MonitorStream): void {
    const set = this.byAccount.get(pubkey);
    if (!set) return;
    set.delete(stream);
    if (set.size === 0) this.byAccount.delete(pubkey);
  }
}
