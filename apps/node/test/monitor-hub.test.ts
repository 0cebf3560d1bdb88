import { MonitorErrorCode } from "@session/protocol/monitor";
import { describe, expect, it } from "vitest";
import { MonitorHub, type MonitorStream } from "../src/monitor/hub.ts";

/** A verifier that accepts everything: these tests are about bookkeeping, not signatures. */
const acceptAll = { verify: () => true, ed25519PubkeyToX25519: (k: Uint8Array) => k };
let now = 1_750_000_000_000;

/** Opens a stream that must be granted. */
function openOk(hub: MonitorHub, source = "198.51.100.1"): MonitorStream {
  const s = hub.open(source);
  if (typeof s === "string") throw new Error(`stream refused: ${s}`);
  return s;
}
const sub = (pubkey: string, namespaces: number[], data = false) => ({
  pubkey,
  namespaces,
  data,
  sig_ts: Math.floor(now / 1000),
  signature: "00".repeat(64),
});
const group = (n: number) => `03${n.toString(16).padStart(64, "0")}`;
const msg = (pubkey: string, namespace: number) => ({
  pubkey,
  namespace,
  hash: "h".repeat(43),
  timestamp: now,
  expiry: now + 1000,
  data: new Uint8Array([1]),
});

describe("MonitorHub bookkeeping", () => {
  it("caps streams per node and accounts per stream", () => {
    const hub = new MonitorHub({
      now: () => now,
      verifier: acceptAll,
      limits: { maxStreams: 2, maxSubscriptionsPerStream: 2 },
    });
    const a = openOk(hub);
    openOk(hub, "198.51.100.2");
    expect(hub.open("198.51.100.3")).toBe("full");
    const results = hub.subscribe(a, [
      sub(group(1), [0]),
      sub(group(2), [0]),
      sub(group(3), [0]),
      sub(group(1), [1]),
    ]);
    expect(results[2]).toMatchObject({ errcode: MonitorErrorCode.BAD_ARGS });
    // renewing an account already watched does not count against the cap
    expect(results[3]).toEqual({ success: true });
    hub.remove(a);
    openOk(hub);
  });

  it("merges namespaces and ORs the data flag on re-subscription; removal stops delivery", async () => {
    const hub = new MonitorHub({ now: () => now, verifier: acceptAll });
    const s = openOk(hub);
    hub.subscribe(s, [sub(group(1), [5]), sub(group(1), [-10, 5, 7], true)]);
    expect(s.watches.get(group(1))).toMatchObject({ namespaces: [-10, 5, 7], wantData: true });
    hub.publish(msg(group(1), -10));
    hub.publish(msg(group(1), 6));
    const events = await s.next(10);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: "message", data: { namespace: -10, data: "AQ==" } });
    hub.remove(s);
    hub.publish(msg(group(1), 5));
    expect(s.pending).toBe(0);
  });

  it("closeAll ends every stream with a shutdown event", async () => {
    const hub = new MonitorHub({ now: () => now, verifier: acceptAll });
    const s = openOk(hub);
    hub.closeAll();
    expect(await s.next(10)).toEqual([
      { event: "close", data: { reason: "shutdown", message: "node shutting down" } },
    ]);
    expect(s.closed).toBe(true);
    expect(hub.streamCount).toBe(0);
  });
});

describe("MonitorHub: streams cannot be squatted", () => {
  it("caps streams per source address; a removed stream frees its slot once", () => {
    const hub = new MonitorHub({ now: () => now, verifier: acceptAll, limits: { maxStreamsPerSource: 3 } });
    const mine = [openOk(hub, "a"), openOk(hub, "a"), openOk(hub, "a")];
    expect(hub.open("a")).toBe("source_full");
    // Other addresses are not affected.
    openOk(hub, "b");
    hub.remove(mine[0]!);
    hub.remove(mine[0]!); // removing twice (abort, then the pump's end) frees one slot only
    openOk(hub, "a");
    expect(hub.open("a")).toBe("source_full");
    expect(hub.streamCount).toBe(4);
  });

  it("closes a stream without a live subscription once the grace has passed", async () => {
    const start = now;
    const hub = new MonitorHub({ now: () => now, verifier: acceptAll, limits: { emptyStreamGraceMs: 5000 } });
    const empty = openOk(hub);
    const watched = openOk(hub);
    hub.subscribe(watched, [sub(group(1), [0])]);
    now += 4999;
    expect(hub.closeEmpty()).toBe(0);
    now += 1;
    expect(hub.closeEmpty()).toBe(1);
    expect(await empty.next(10)).toEqual([
      {
        event: "close",
        data: {
          reason: "expired",
          message: "no live subscription on this stream; reconnect and resubscribe",
        },
      },
    ]);
    expect(hub.get(watched.id)).toBe(watched);
    expect(hub.liveWatches(watched)).toBe(1);
    now = start;
  });

  it("closes a stream whose subscriptions all lapsed (idle: not renewed within the 65-minute expiry)", () => {
    const start = now;
    const hub = new MonitorHub({ now: () => now, verifier: acceptAll, limits: { expiryMs: 60_000 } });
    const s = openOk(hub);
    hub.subscribe(s, [sub(group(1), [0])]);
    now += 59_000;
    hub.subscribe(s, [sub(group(1), [0])]); // renewed: lives on
    now += 59_000;
    expect(hub.closeEmpty()).toBe(0);
    now += 1001;
    expect(hub.closeEmpty()).toBe(1);
    expect(s.closed).toBe(true);
    expect(hub.streamCount).toBe(0);
    now = start;
  });
});
