import { type KeyObject, sign } from "node:crypto";
import { EventEmitter } from "node:events";
import { type IncomingMessage, request } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { toBase64, toHex } from "@session/crypto";
import {
  MONITOR_EXPIRY_MS,
  type MonitorStreamEvent,
  type MonitorSubscriptionJson,
  monitorMessageEventSchema,
  monitorSignatureMessage,
  monitorSubscribedEventSchema,
  openMonitorStream,
  renewMonitorSubscriptions,
} from "@session/protocol/monitor";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { StoredMessage } from "../src/monitor/hub.ts";
import { createMonitorService, type MonitorOptions, type MonitorService } from "../src/monitor/routes.ts";
import { newAccount, type TestAccount } from "./helpers/accounts.ts";
import { openSse } from "./helpers/sse.ts";

function signedSub(
  acct: TestAccount,
  namespaces: number[],
  opts: { data?: boolean; sigTs?: number; signer?: KeyObject } = {},
): MonitorSubscriptionJson {
  const sigTs = opts.sigTs ?? Math.floor(clockMs / 1000);
  const data = opts.data ?? false;
  const msg = monitorSignatureMessage(acct.sessionId, sigTs, data, namespaces);
  return {
    pubkey: acct.sessionId,
    session_ed25519: toHex(acct.edPk),
    namespaces,
    data,
    sig_ts: sigTs,
    signature: toBase64(new Uint8Array(sign(null, msg, opts.signer ?? acct.key))),
  };
}

let clockMs = 1_750_000_000_000;
const events = new EventEmitter();
let service: MonitorService;
let server: ReturnType<typeof serve>;
let base: string;

function stored(acct: TestAccount, namespace: number, n: number): StoredMessage {
  return {
    pubkey: acct.sessionId,
    namespace,
    hash: `hash${n}`.padEnd(43, "A"),
    timestamp: clockMs,
    expiry: clockMs + 86_400_000,
    data: new Uint8Array([n, n + 1, n + 2]),
  };
}

beforeAll(async () => {
  service = createMonitorService(
    { clock: { now: () => clockMs }, logger: pino({ level: "silent" }), events },
    { keepaliveMs: 200, limits: { maxQueuedEvents: 5 } },
  );
  server = serve({ fetch: service.routes.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  service.close();
  await new Promise<void>((r) => {
    server.close(() => r());
    (server as unknown as { closeAllConnections(): void }).closeAllConnections();
  });
});

/** The next event, which must be a `message`. */
async function nextMessage(sse: { next(ms?: number): Promise<MonitorStreamEvent | undefined> }) {
  const ev = await sse.next();
  if (ev?.event !== "message") throw new Error(`expected a message event, got ${ev?.event}`);
  return ev.data;
}

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

async function subscribe(subs: unknown[]) {
  const sse = await openSse(`${base}/monitor/v1/stream`, { subscriptions: subs });
  expect(sse.status).toBe(200);
  expect(sse.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const first = await sse.next();
  expect(first?.event).toBe("subscribed");
  const ready = monitorSubscribedEventSchema.parse(first!.data);
  return { sse, ready };
}

describe("monitor API: a reader that stops reading", () => {
  it("is cut off shortly after being dropped, instead of holding the connection forever", async () => {
    const localEvents = new EventEmitter();
    const svc = createMonitorService(
      { clock: { now: () => clockMs }, logger: pino({ level: "silent" }), events: localEvents },
      { limits: { maxQueuedEvents: 200 }, closeGraceMs: 300 },
    );
    const srv = serve({ fetch: svc.routes.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((r) => srv.once("listening", () => r()));
    const port = (srv.address() as AddressInfo).port;
    const hank = newAccount();
    const req = request({
      host: "127.0.0.1",
      port,
      path: "/monitor/v1/stream",
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.on("response", resolve);
      req.on("error", () => {}); // the server cuts this socket on purpose
      setTimeout(() => reject(new Error("no response")), 3000).unref();
    });
    req.end(JSON.stringify({ subscriptions: [signedSub(hank, [0], { data: true })] }));
    (await response).pause(); // never read
    const connections = () => new Promise<number>((r) => srv.getConnections((_e, n) => r(n)));
    expect(await connections()).toBe(1);
    await vi.waitFor(() => expect(svc.hub.streamCount).toBe(1));
    // Fill the stream far beyond what socket buffers hold, then overflow its queue.
    const big = new Uint8Array(76_800).fill(7);
    for (let i = 0; i < 201; i++) localEvents.emit("stored", { ...stored(hank, 0, i % 200), data: big });
    await vi.waitFor(async () => expect(await connections()).toBe(0), { timeout: 10_000, interval: 50 });
    expect(svc.hub.streamCount).toBe(0);
    svc.close();
    await new Promise<void>((r) => srv.close(() => r()));
  });
});

describe("monitor API", () => {
  it("a valid subscription receives exactly the matching stored message, with data when asked", async () => {
    const alice = newAccount();
    const bob = newAccount();
    const { sse, ready } = await subscribe([signedSub(alice, [0, 2], { data: true })]);
    expect(ready.results).toEqual([{ success: true }]);

    events.emit("stored", stored(bob, 0, 1)); // other account
    events.emit("stored", stored(alice, 5, 2)); // other namespace
    events.emit("stored", stored(alice, 2, 3)); // match
    const ev = await sse.next();
    expect(ev?.event).toBe("message");
    const msg = monitorMessageEventSchema.parse(ev!.data);
    expect(msg).toEqual({
      pubkey: alice.sessionId,
      hash: stored(alice, 2, 3).hash,
      namespace: 2,
      timestamp: clockMs,
      expiry: clockMs + 86_400_000,
      data: toBase64(new Uint8Array([3, 4, 5])),
    });
    expect(await sse.next(300)).toBeUndefined();
    sse.close();
  });

  it("without the data flag, notifications carry metadata only", async () => {
    const carol = newAccount();
    const { sse, ready } = await subscribe([signedSub(carol, [0])]);
    expect(ready.results).toEqual([{ success: true }]);
    events.emit("stored", stored(carol, 0, 7));
    const msg = await nextMessage(sse);
    expect(msg.hash).toBe(stored(carol, 0, 7).hash);
    expect(msg).not.toHaveProperty("data");
    sse.close();
  });

  it("rejects bad signatures, stale or future timestamps, unsorted namespaces, missing keys", async () => {
    const dave = newAccount();
    const mallory = newAccount();
    const now = Math.floor(clockMs / 1000);
    const unsorted = signedSub(dave, [2, 0]);
    const noEd = { ...signedSub(dave, [0]), session_ed25519: undefined };
    const wrongEd = { ...signedSub(dave, [0]), session_ed25519: toHex(mallory.edPk) };
    const tampered = { ...signedSub(dave, [0]), namespaces: [0, 1] };
    const { sse, ready } = await subscribe([
      signedSub(dave, [0], { signer: mallory.key }),
      signedSub(dave, [0], { sigTs: now - 15 * 86_400 }),
      signedSub(dave, [0], { sigTs: now + 2 * 86_400 }),
      unsorted,
      noEd,
      wrongEd,
      tampered,
      { pubkey: "05zz" },
      signedSub(dave, [0], { sigTs: now - 13 * 86_400 }),
    ]);
    const codes = ready.results.map((r) => ("errcode" in r ? r.errcode : 0));
    expect(codes).toEqual([5, 4, 4, 3, 2, 5, 5, 2, 0]);
    // Only the last one (13-day-old signature, still valid) is live.
    events.emit("stored", stored(dave, 0, 9));
    expect((await nextMessage(sse)).hash).toBe(stored(dave, 0, 9).hash);
    sse.close();
  });

  it("renewing on the stream merges namespaces; subscriptions lapse 65 minutes after the last renewal", async () => {
    const erin = newAccount();
    const { sse, ready } = await subscribe([signedSub(erin, [0])]);
    const renew = await fetch(`${base}/monitor/v1/subscribe`, {
      method: "POST",
      body: JSON.stringify({ stream: ready.stream, subscriptions: [signedSub(erin, [3])] }),
    });
    expect(renew.status).toBe(200);
    expect(await renew.json()).toEqual({ stream: ready.stream, results: [{ success: true }] });
    events.emit("stored", stored(erin, 0, 10));
    events.emit("stored", stored(erin, 3, 11));
    expect((await nextMessage(sse)).namespace).toBe(0);
    expect((await nextMessage(sse)).namespace).toBe(3);

    clockMs += MONITOR_EXPIRY_MS + 1000;
    events.emit("stored", stored(erin, 0, 12));
    // No message; the node may already have closed the stream, now empty ('expired').
    const after = await sse.next(300);
    if (after !== undefined) expect(after).toMatchObject({ event: "close", data: { reason: "expired" } });
    sse.close();
  });

  it("a group (03) account can be watched through a read subaccount token", async () => {
    const group = newAccount();
    const member = newAccount();
    const groupId = `03${toHex(group.edPk)}`;
    const token = (flags: number) => new Uint8Array([0x03, flags, 0, 0, ...member.edPk]);
    const sub = (flags: number) => {
      const t = token(flags);
      const msg = monitorSignatureMessage(groupId, Math.floor(clockMs / 1000), false, [11]);
      return {
        pubkey: groupId,
        subaccount: toBase64(t),
        subaccount_sig: toBase64(new Uint8Array(sign(null, t, group.key))),
        namespaces: [11],
        sig_ts: Math.floor(clockMs / 1000),
        signature: toHex(new Uint8Array(sign(null, msg, member.key))),
      };
    };
    const { sse, ready } = await subscribe([sub(0x02 /* write only */), sub(0x01 /* read */)]);
    expect(ready.results[0]).toMatchObject({ errcode: 5 });
    expect(ready.results[1]).toEqual({ success: true });
    events.emit("stored", { ...stored(group, 11, 30), pubkey: groupId });
    expect((await nextMessage(sse)).pubkey).toBe(groupId);
    sse.close();
  });

  it("unknown stream ids and malformed bodies get typed JSON errors", async () => {
    const r1 = await fetch(`${base}/monitor/v1/subscribe`, {
      method: "POST",
      body: JSON.stringify({ stream: "00".repeat(16), subscriptions: [{}] }),
    });
    expect(r1.status).toBe(404);
    expect(await errorOf(r1)).toBe("NOT_FOUND");
    const r2 = await fetch(`${base}/monitor/v1/stream`, { method: "POST", body: "{nope" });
    expect(r2.status).toBe(400);
    expect(await errorOf(r2)).toBe("INVALID_JSON");
    const r3 = await fetch(`${base}/monitor/v1/stream`, {
      method: "POST",
      body: JSON.stringify({ subs: [] }),
    });
    expect(r3.status).toBe(400);
    expect(await errorOf(r3)).toBe("BAD_REQUEST");
  });

  it("the exported client opens streams, renews, and reports node errors as ProtocolErrors", async () => {
    const gina = newAccount();
    const controller = new AbortController();
    const stream = await openMonitorStream(fetch, base, [signedSub(gina, [0])], {
      signal: controller.signal,
    });
    const first = await stream.next();
    if (first.done || first.value.event !== "subscribed") throw new Error("expected subscribed");
    expect(first.value.data.results).toEqual([{ success: true }]);
    const renewed = await renewMonitorSubscriptions(fetch, base, first.value.data.stream, [
      signedSub(gina, [4]),
    ]);
    expect(renewed.results).toEqual([{ success: true }]);
    events.emit("stored", stored(gina, 4, 40));
    const second = await stream.next();
    expect(second.value).toMatchObject({ event: "message", data: { namespace: 4 } });
    controller.abort();
    await expect(
      renewMonitorSubscriptions(fetch, base, "ab".repeat(16), [signedSub(gina, [0])]),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(openMonitorStream(fetch, base, "nope" as never)).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("idle streams get keepalive comments", async () => {
    const { sse } = await subscribe([signedSub(newAccount(), [0])]);
    await vi.waitFor(() => expect(sse.comments).toContain(": keepalive"), { timeout: 10_000, interval: 20 });
    sse.close();
  });

  it("a subscriber that falls behind is dropped with a 'slow_consumer' close event", async () => {
    const frank = newAccount();
    const { sse, ready } = await subscribe([signedSub(frank, [0])]);
    // Published synchronously: the queue (limit 5) overflows before anything is written out.
    for (let i = 0; i < 20; i++) events.emit("stored", stored(frank, 0, 20 + i));
    const got: string[] = [];
    for (;;) {
      const ev = await sse.next(1000);
      if (!ev) break;
      got.push(ev.event);
      if (ev.event === "close") {
        expect(ev.data.reason).toBe("slow_consumer");
        break;
      }
    }
    expect(got.filter((e) => e === "message")).toHaveLength(5);
    expect(got.at(-1)).toBe("close");
    expect(service.hub.get(ready.stream)).toBeUndefined();
    sse.close();
  });
});

/** A monitor service of its own on a port-0 server, with these limits and this clock. */
async function ownService(limits: MonitorOptions["limits"], now: () => number) {
  const svc = createMonitorService(
    { clock: { now }, logger: pino({ level: "silent" }), events: new EventEmitter() },
    { keepaliveMs: 60_000, limits },
  );
  const srv = serve({ fetch: svc.routes.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((r) => srv.once("listening", () => r()));
  return {
    svc,
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    close: async () => {
      svc.close();
      await new Promise<void>((r) => {
        srv.close(() => r());
        (srv as unknown as { closeAllConnections(): void }).closeAllConnections();
      });
    },
  };
}

describe("monitor API: streams cannot be squatted", () => {
  it("a stream without a valid signed subscription is refused, so 300 of them hold no slot", async () => {
    const own = await ownService({ maxStreams: 256, maxStreamsPerSource: 1000 }, () => clockMs);
    try {
      const acct = newAccount();
      const unsigned = { ...signedSub(acct, [0]), signature: toBase64(new Uint8Array(64)) };
      const bodies = [
        { subscriptions: [] },
        { subscriptions: [unsigned] },
        { subscriptions: [{ pubkey: "05" }] },
      ];
      const statuses = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const res = await fetch(`${own.url}/monitor/v1/stream`, {
            method: "POST",
            body: JSON.stringify(bodies[i % bodies.length]),
          });
          const body = (await res.json()) as { error: { code: string }; results?: unknown[] };
          return `${res.status} ${body.error.code}`;
        }),
      );
      expect(new Set(statuses)).toEqual(new Set(["400 BAD_REQUEST"]));
      expect(own.svc.hub.streamCount).toBe(0);
      // The refusal says why, per subscription.
      const res = await fetch(`${own.url}/monitor/v1/stream`, {
        method: "POST",
        body: JSON.stringify({ subscriptions: [unsigned] }),
      });
      expect(((await res.json()) as { results: unknown[] }).results).toEqual([
        { errcode: 5, error: expect.any(String) },
      ]);
      // A real subscriber still gets a stream.
      const sse = await openSse(`${own.url}/monitor/v1/stream`, { subscriptions: [signedSub(acct, [0])] });
      expect(sse.status).toBe(200);
      expect((await sse.next())?.event).toBe("subscribed");
      sse.close();
    } finally {
      await own.close();
    }
  }, 60_000);

  it("one address holds at most maxStreamsPerSource streams (429 beyond)", async () => {
    const own = await ownService({ maxStreamsPerSource: 3 }, () => clockMs);
    try {
      const open = () =>
        openSse(`${own.url}/monitor/v1/stream`, { subscriptions: [signedSub(newAccount(), [0])] });
      const held = [await open(), await open(), await open()];
      expect(held.map((x) => x.status)).toEqual([200, 200, 200]);
      const fourth = await fetch(`${own.url}/monitor/v1/stream`, {
        method: "POST",
        body: JSON.stringify({ subscriptions: [signedSub(newAccount(), [0])] }),
      });
      expect(fourth.status).toBe(429);
      expect(await errorOf(fourth)).toBe("RATE_LIMITED");
      // Closing one frees its slot once the node sees the reader go.
      held[0]!.close();
      await expect.poll(() => own.svc.hub.streamCount).toBe(2);
      const again = await open();
      expect(again.status).toBe(200);
      for (const x of [...held, again]) x.close();
    } finally {
      await own.close();
    }
  });

  it("a stream whose subscriptions lapsed unrenewed is closed with an 'expired' event", async () => {
    let now = clockMs;
    const own = await ownService({ emptyStreamGraceMs: 100 }, () => now);
    try {
      const sse = await openSse(`${own.url}/monitor/v1/stream`, {
        subscriptions: [signedSub(newAccount(), [0])],
      });
      expect((await sse.next())?.event).toBe("subscribed");
      now += MONITOR_EXPIRY_MS + 1;
      const ev = await sse.next(5000);
      expect(ev).toMatchObject({ event: "close", data: { reason: "expired" } });
      expect(own.svc.hub.streamCount).toBe(0);
      sse.close();
    } finally {
      await own.close();
    }
  });
});
