import { MonitorErrorCode } from "@session/protocol";
import { describe, expect, it } from "vitest";
import { MonitorHub } from "../src/monitor/hub.ts";

/** A verifier that accepts everything: these tests are about bookkeeping, not signatures. */
const acceptAll = { verify: () => true, ed25519PubkeyToX25519: (k: Uint8Array) => k };
const now = 1_750_000_000_000;
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
    const a = hub.open()!;
    expect(hub.open()).toBeDefined();
    expect(hub.open()).toBeUndefined();
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
    expect(hub.open()).toBeDefined();
  });

  it("merges namespaces and ORs the data flag on re-subscription; removal stops delivery", async () => {
    const hub = new MonitorHub({ now: () => now, verifier: acceptAll });
    const s = hub.open()!;
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
    const s = hub.open()!;
    hub.closeAll();
    expect(await s.next(10)).toEqual([
      { event: "close", data: { reason: "shutdown", message: "node shutting down" } },
    ]);
    expect(s.closed).toBe(true);
    expect(hub.streamCount).toBe(0);
  });
});
