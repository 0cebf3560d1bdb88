import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";
import { encodeLinkRequest, NODE_LINK_PATH, NODE_LINK_PROTOCOL } from "@session/protocol/onion";
import { deferred } from "@session/service-kit/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NodePost } from "./http.ts";
import { ONION_RELAY_PATH } from "./limits.ts";
import { acceptNodeLinks, type NodeLinkServer, nodeLinks, type RelayHandler } from "./node-link.ts";
import type { OnionReply } from "./reply.ts";

/** Waits until `cond` holds (polled), failing after 10 s. */
const until = (cond: () => boolean) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error("not yet");
    },
    { timeout: 10_000, interval: 10 },
  );

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);
const reply = (body: string, status = 200): OnionReply => ({
  status,
  body,
  contentType: "text/plain; charset=utf-8",
  outcome: "final",
});

/** A loopback server accepting node links; `http` answers plain POSTs (the HTTP relay path). */
async function peer(
  handle: RelayHandler,
  opts: { links?: boolean; maxBodyBytes?: number; maxLinks?: number } = {},
): Promise<{
  origin: string;
  server: Server;
  links?: NodeLinkServer;
  httpPosts: number;
  sockets: Set<Socket>;
}> {
  const state = { httpPosts: 0, sockets: new Set<Socket>() };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      if (req.method === "POST") state.httpPosts++;
      const r = await handle(Buffer.concat(chunks));
      res.writeHead(r.status, { "content-type": r.contentType }).end(r.body);
    });
  });
  server.on("connection", (sock: Socket) => {
    state.sockets.add(sock);
    sock.on("close", () => state.sockets.delete(sock));
  });
  const links =
    opts.links === false
      ? undefined
      : acceptNodeLinks(
          server,
          {
            relay: handle,
            peer: async (auth, body) => ({
              status: 200,
              contentType: "application/json",
              body: bytes(
                JSON.stringify({
                  pubkey: [...auth.pubkey],
                  ts: auth.timestamp,
                  sig: auth.signature.length,
                  body: text(body),
                }),
              ),
            }),
          },
          {
            maxBodyBytes: opts.maxBodyBytes ?? 1 << 20,
            ...(opts.maxLinks ? { maxLinks: opts.maxLinks } : {}),
          },
        );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, { origin, server, ...(links ? { links } : {}) });
}

/** The HTTP relay path, as the node's undici dispatcherPost does it. */
const httpPost: NodePost = async (url, body) => {
  const res = await fetch(url, { method: "POST", body: body as Uint8Array<ArrayBuffer> });
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    body: new Uint8Array(await res.arrayBuffer()),
  };
};

function client(o: Partial<Parameters<typeof nodeLinks>[1]> = {}) {
  const c = nodeLinks(httpPost, { maxReplyBytes: 1 << 20, ...o });
  closers.push(() => c.close());
  return c;
}
const opts = { timeoutMs: 5_000, maxReplyBytes: 1 << 20 };

describe("node links", () => {
  it("carry many concurrent relays on one connection, each answered with its own reply", async () => {
    const p = await peer(async (body) => {
      const s = text(body);
      // Out of order on purpose: later requests may be answered first.
      await new Promise((r) => setTimeout(r, Number(s) % 7));
      return reply(`echo ${s}`, 200 + (Number(s) % 3));
    });
    const c = client();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes(String(i)), opts)),
    );
    results.forEach((r, i) => {
      expect(text(r.body)).toBe(`echo ${i}`);
      expect(r.status).toBe(200 + (i % 3));
      expect(r.contentType).toBe("text/plain; charset=utf-8");
    });
    expect(c.open).toBe(1);
    expect(p.links?.open).toBe(1);
    expect(p.httpPosts).toBe(0);
  });

  it("carry peer requests with their auth fields on the same link, and say when a peer takes no links", async () => {
    const p = await peer(async (b) => reply(text(b)));
    const c = client();
    const auth = {
      pubkey: new Uint8Array(32).fill(7),
      timestamp: 1_700_000_000_123,
      signature: new Uint8Array(64),
    };
    const r = await c.peerRequest(p.origin, auth, bytes('{"action":"forward"}'), opts);
    expect(r?.status).toBe(200);
    expect(JSON.parse(text(r!.body))).toEqual({
      pubkey: new Array(32).fill(7),
      ts: 1_700_000_000_123,
      sig: 64,
      body: '{"action":"forward"}',
    });
    const relayed = await c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("r"), opts);
    expect(text(relayed.body)).toBe("r");
    expect(c.open).toBe(1);
    const old = await peer(async (b) => reply(text(b)), { links: false });
    expect(await c.peerRequest(old.origin, auth, bytes("{}"), opts)).toBeUndefined();
  });

  it("fall back to HTTP relays for a peer that refuses the upgrade, and other paths always go over HTTP", async () => {
    const p = await peer(async (body) => reply(`http ${text(body)}`), { links: false });
    const c = client();
    const r = await c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("a"), opts);
    expect(text(r.body)).toBe("http a");
    const again = await c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("b"), opts);
    expect(text(again.body)).toBe("http b");
    expect(c.open).toBe(0);
    expect(p.httpPosts).toBe(2);

    const q = await peer(async (body) => reply(`other ${text(body)}`));
    const other = await c.post(`${q.origin}/some/other/path`, bytes("c"), opts);
    expect(text(other.body)).toBe("other c");
    expect(q.httpPosts).toBe(1);
    expect(c.open).toBe(0);
  });

  it("fail the requests in flight at once when the peer goes away, and reconnect on the next relay", async () => {
    let hold = true;
    const held = deferred();
    const p = await peer(async (body) => {
      if (hold) {
        held.resolve();
        await new Promise(() => {}); // never answers
      }
      return reply(text(body));
    });
    const c = client();
    const started = Date.now();
    const inFlight = c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("x"), { ...opts, timeoutMs: 20_000 });
    await held.promise; // the request is in the peer's hands
    expect(c.open).toBe(1);
    for (const s of p.sockets) s.destroy(); // the peer cuts the link
    await expect(inFlight).rejects.toThrow(/closed/);
    expect(Date.now() - started).toBeLessThan(5_000);
    hold = false;
    const r = await c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("back"), opts);
    expect(text(r.body)).toBe("back");
    expect(c.open).toBe(1);
  });

  it("time a request out with a TimeoutError and drop its late reply", async () => {
    const gate = deferred();
    const lateSent = deferred();
    const p = await peer(async (body) => {
      if (text(body) === "slow") {
        await gate.promise;
        setImmediate(() => lateSent.resolve()); // after this reply is handed to the link
      }
      return reply(text(body));
    });
    const c = client();
    const slow = c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("slow"), { ...opts, timeoutMs: 50 });
    await expect(slow).rejects.toMatchObject({ name: "TimeoutError" });
    // The late reply goes out before the next request: the link must drop it, not match it to "fast".
    gate.resolve();
    await lateSent.promise;
    const r = await c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("fast"), opts);
    expect(text(r.body)).toBe("fast");
  });

  it("refuse a reply over the caller's cap as BAD_GATEWAY, and an unreachable peer as a connection error", async () => {
    const p = await peer(async () => reply("y".repeat(5000)));
    const c = client();
    await expect(
      c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("x"), { ...opts, maxReplyBytes: 1000 }),
    ).rejects.toMatchObject({ code: "BAD_GATEWAY" });
    await expect(c.post(`http://127.0.0.1:1${ONION_RELAY_PATH}`, bytes("x"), opts)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });

  it("accepting side: other upgrades get 400, an oversized or unknown frame closes the link", async () => {
    const p = await peer(async (b) => reply(text(b)), { maxBodyBytes: 100 });
    const port = Number(new URL(p.origin).port);
    const raw = async (path: string, proto: string) => {
      const s = connect(port, "127.0.0.1");
      closers.push(() => s.destroy());
      s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: ${proto}\r\n\r\n`);
      const head = await new Promise<string>((r) => s.once("data", (d: Buffer) => r(d.toString())));
      return { s, head };
    };
    expect((await raw("/elsewhere", NODE_LINK_PROTOCOL)).head).toMatch(/^HTTP\/1.1 400/);
    expect((await raw(NODE_LINK_PATH, "websocket")).head).toMatch(/^HTTP\/1.1 400/);

    const { s, head } = await raw(NODE_LINK_PATH, NODE_LINK_PROTOCOL);
    expect(head).toMatch(/^HTTP\/1.1 101/);
    const closed = new Promise<void>((r) => s.once("close", () => r()));
    // Refused from the length field alone: only the header is sent.
    s.write(encodeLinkRequest(1, new Uint8Array(500))[0]);
    await closed;

    const second = await raw(NODE_LINK_PATH, NODE_LINK_PROTOCOL);
    const closed2 = new Promise<void>((r) => second.s.once("close", () => r()));
    second.s.write(new Uint8Array([5, 0, 0, 0, 2, 1, 0, 0, 0])); // a reply: acceptors take requests only
    await closed2;
  });

  it("close() on the accepting side answers the requests in hand, refuses new ones (503), then closes; new upgrades get 503", async () => {
    const gate = deferred();
    let pending = 0;
    const p = await peer(async (b) => {
      pending++;
      await gate.promise;
      return reply(text(b));
    });
    const c = client();
    const inFlight = c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("kept"), opts);
    await until(() => p.links!.open === 1 && pending === 1); // "kept" is in the peer's hands
    const closing = p.links!.close();
    // A new request on the open link is refused at once while the first one is still in hand.
    const refused = await c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("late"), opts);
    expect(refused.status).toBe(503);
    expect(text(refused.body)).toBe("Snode shutting down");
    const c2 = client();
    // A refused upgrade (503) means HTTP for this peer.
    const viaHttp = c2.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("new"), opts);
    gate.resolve();
    expect(text((await inFlight).body)).toBe("kept");
    await closing;
    expect(text((await viaHttp).body)).toBe("new");
    expect(p.httpPosts).toBe(1);
  });

  it("accepting side: link upgrades over maxLinks get 503, and that opener relays over HTTP", async () => {
    const p = await peer(async (b) => reply(text(b)), { maxLinks: 1 });
    const first = client();
    expect(text((await first.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("1"), opts)).body)).toBe("1");
    const second = client();
    expect(text((await second.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("2"), opts)).body)).toBe("2");
    expect(first.open).toBe(1);
    expect(second.open).toBe(0);
    expect(p.links?.open).toBe(1);
    expect(p.httpPosts).toBe(1);
  });

  it("close idle links after idleMs", async () => {
    const p = await peer(async (b) => reply(text(b)));
    const c = client({ idleMs: 50 });
    await c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("x"), opts);
    expect(c.open).toBe(1);
    await until(() => c.open === 0);
    expect(text((await c.post(`${p.origin}${ONION_RELAY_PATH}`, bytes("y"), opts)).body)).toBe("y");
  });
});
