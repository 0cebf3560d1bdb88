import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProtocolError } from "../errors.ts";
import {
  type MonitorStreamEvent,
  openMonitorStream,
  readMonitorEvents,
  renewMonitorSubscriptions,
} from "./client.ts";
import { MonitorErrorCode, monitorSignatureMessage, monitorSubscriptionSchema } from "./schema.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A body that arrives in the given pieces. */
function bodyOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>, comments: string[] = []) {
  const out: MonitorStreamEvent[] = [];
  for await (const ev of readMonitorEvents(body, { onComment: (l) => comments.push(l) })) out.push(ev);
  return out;
}

const pk = `05${"Ab".repeat(32)}`;
const message = { pubkey: pk.toLowerCase(), hash: "h".repeat(43), namespace: -10, timestamp: 1, expiry: 2 };
// Several events, a comment, an unknown event and multi-byte text, as a node writes them.
const sse = [
  `event: subscribed\ndata: ${JSON.stringify({ stream: "ab".repeat(16), results: [{ success: true }, { errcode: 5, error: "bad signature — ✗" }] })}\nid: 1\n\n`,
  ": keepalive\n\n",
  `event: message\ndata: ${JSON.stringify({ ...message, data: "8J+Ygg==" })}\nid: 2\n\n`,
  "event: whatever\ndata: {}\n\n",
  `event: close\ndata: ${JSON.stringify({ reason: "shutdown", message: "node shutting down" })}\n\n`,
].join("");

describe("monitor wire format", () => {
  it("signs exactly MONITOR ‖ lowercase pubkey ‖ sig_ts ‖ data flag ‖ namespaces", () => {
    expect(text(monitorSignatureMessage(pk, 1_750_000_000, true, [-10, 0, 5]))).toBe(
      `MONITOR${pk.toLowerCase()}17500000001-10,0,5`,
    );
    expect(text(monitorSignatureMessage(pk, 7, false, [0]))).toBe(`MONITOR${pk.toLowerCase()}700`);
  });

  it("subscriptions: hex or base64 signatures of 64 bytes, int16 namespaces, data off by default", () => {
    const base = { pubkey: pk, namespaces: [0], sig_ts: 1, signature: "cd".repeat(64) };
    expect(monitorSubscriptionSchema.parse(base).data).toBe(false);
    const b64 = Buffer.alloc(64, 7).toString("base64");
    expect(monitorSubscriptionSchema.safeParse({ ...base, signature: b64 }).success).toBe(true);
    for (const bad of [
      { signature: "cd".repeat(63) },
      { signature: Buffer.alloc(63).toString("base64") },
      { pubkey: pk.slice(2) },
      { namespaces: [] },
      { namespaces: [32768] },
      { sig_ts: -1 },
      { subaccount: "00".repeat(35) },
    ]) {
      expect(monitorSubscriptionSchema.safeParse({ ...base, ...bad }).success, JSON.stringify(bad)).toBe(
        false,
      );
    }
    expect(MonitorErrorCode.BAD_SIG).toBe(5);
  });

  it("readMonitorEvents yields the same typed events however the body is cut", async () => {
    const whole = await collect(bodyOf([utf8(sse)]));
    expect(whole.map((e) => e.event)).toEqual(["subscribed", "message", "close"]);
    expect(whole[0]).toMatchObject({ id: "1", data: { results: [{ success: true }, { errcode: 5 }] } });
    expect(whole[1]).toMatchObject({ id: "2", data: { ...message, data: "8J+Ygg==" } });
    const bytes = utf8(sse);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }),
        async (cuts) => {
          const at = [0, ...cuts.sort((a, b) => a - b), bytes.length];
          const chunks = at.slice(1).map((end, i) => bytes.slice(at[i], end));
          const comments: string[] = [];
          expect(await collect(bodyOf(chunks), comments)).toEqual(whole);
          expect(comments).toEqual([": keepalive"]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("an event whose data does not match its schema is a BAD_GATEWAY ProtocolError", async () => {
    for (const bad of ['event: message\ndata: {"pubkey":1}\n\n', "event: close\ndata: not json\n\n"]) {
      await expect(collect(bodyOf([utf8(bad)]))).rejects.toMatchObject({ code: "BAD_GATEWAY" });
    }
  });
});

describe("monitor client against a loopback server", () => {
  let base: string;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      const sent = JSON.parse(body) as { stream?: string; subscriptions: unknown[] };
      if (req.url === "/monitor/v1/stream" && sent.subscriptions.length > 0) {
        res.writeHead(200, { "content-type": "text/event-stream" }).end(sse);
      } else if (req.url === "/monitor/v1/stream") {
        res.writeHead(429, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "RATE_LIMITED", message: "slow down" } }));
      } else if (sent.stream === "garbage") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"stream":1}');
      } else if (sent.stream === "teapot") {
        res.writeHead(500).end("not json");
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ stream: sent.stream, results: sent.subscriptions.map(() => ({ success: true })) }),
        );
      }
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("opens a stream, renews, and keeps the node's own error codes", async () => {
    const events = await collectGen(await openMonitorStream(fetch, base, [{} as never]));
    expect(events.map((e) => e.event)).toEqual(["subscribed", "message", "close"]);
    expect(await renewMonitorSubscriptions(fetch, base, "s1", [{} as never, {} as never])).toEqual({
      stream: "s1",
      results: [{ success: true }, { success: true }],
    });
    const refused = await openMonitorStream(fetch, base, []).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProtocolError);
    expect(refused).toMatchObject({ code: "RATE_LIMITED", status: 429 });
    // Anything that is not one of our errors, or not the promised shape, is the node misbehaving.
    await expect(renewMonitorSubscriptions(fetch, base, "teapot", [{} as never])).rejects.toMatchObject({
      code: "BAD_GATEWAY",
    });
    await expect(renewMonitorSubscriptions(fetch, base, "garbage", [{} as never])).rejects.toMatchObject({
      code: "BAD_GATEWAY",
    });
  });
});

async function collectGen(gen: AsyncGenerator<MonitorStreamEvent>) {
  const out: MonitorStreamEvent[] = [];
  for await (const ev of gen) out.push(ev);
  return out;
}
