import { fromBase64, sign, toBase64, toHex, utf8Decode, utf8Encode } from "@session/crypto";
import { type EncType, encodeV4Request } from "@session/protocol";
import { monitorSignatureMessage, openMonitorStream } from "@session/protocol/monitor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningNode } from "../src/node.ts";
import { expectWrongSwarm, newAccount, retrieveParams, storeParams, TestNet } from "./helpers/node-net.ts";
import { buildClientOnion, postBytes } from "./helpers/onion-client.ts";
import { loopbackServer } from "./helpers/raw-server.ts";
import { startV4TestServer } from "./helpers/v4-server.ts";

/*
 * Eleven real storage nodes (startNode: own SQLite file, registry, replication) on loopback, two
 * swarms. A client stores for a recipient through a 3-hop onion path that ends at a member of
 * the recipient's swarm, reads it back through another path from another member, a
 * push-server-style monitor on the destination sees the store, a node outside the swarm answers
 * 421 through the onion, and a path through real nodes reaches an HTTP server's /oxen/v4/lsrpc.
 */

const net = new TestNet();
let server: Awaited<ReturnType<typeof startV4TestServer>>;

beforeAll(async () => {
  await net.start(11); // 11 nodes: the smallest network the swarm rule (min 5, target 7) splits in two
  server = await startV4TestServer();
}, 60_000);
afterAll(async () => {
  await net.stop();
  await server.close();
});

const hop = (n: RunningNode) => ({ ed25519: n.keys.ed25519.publicKey, x25519: n.keys.x25519.publicKey });

function placement(sessionId: string) {
  const swarm = net.nodes[0]!.ctx.membership.swarmOf(sessionId)!;
  const members = net.nodes.filter((n) =>
    swarm.members.some((m) => m.pubkey_ed25519 === n.info.pubkey_ed25519),
  );
  const others = net.nodes.filter((n) => !members.includes(n));
  return { swarm, members, others };
}

async function viaOnion(
  path: RunningNode[],
  dest: RunningNode,
  method: string,
  params: unknown,
  encType: EncType,
) {
  const onion = buildClientOnion({
    payload: utf8Encode(JSON.stringify({ method, params })),
    destination: { kind: "node", ...hop(dest) },
    hops: path.map(hop),
    encType,
  });
  const res = await postBytes(`${path[0]!.url}/onion_req/v2`, onion.request);
  expect(res.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: RPC bodies are checked field by field below
  return onion.openJson(res.body) as { status: number; body: any };
}

describe("onion requests across real storage nodes", () => {
  it("has two swarms", () => {
    expect(net.nodes[0]!.ctx.membership.swarmIds().length).toBe(2);
  });

  for (const encType of ["aes-gcm", "xchacha20"] as const) {
    it(`${encType}: store via 3 hops lands in the recipient's swarm; monitor sees it; retrieve via another path`, async () => {
      const alice = newAccount();
      const { members, others } = placement(alice.sessionId);
      const dest = members[0]!;
      const path = [...others, ...members.slice(1)].slice(0, 3);

      const sigTs = Math.floor(Date.now() / 1000);
      const controller = new AbortController();
      const monitor = await openMonitorStream(
        fetch,
        dest.url,
        [
          {
            pubkey: alice.sessionId,
            session_ed25519: toHex(alice.ed25519.publicKey),
            namespaces: [0],
            data: true,
            sig_ts: sigTs,
            signature: toBase64(
              sign(monitorSignatureMessage(alice.sessionId, sigTs, true, [0]), alice.ed25519.secretKey),
            ),
          },
        ],
        { signal: controller.signal },
      );
      expect((await monitor.next()).value).toMatchObject({
        event: "subscribed",
        data: { results: [{ success: true }] },
      });

      const text = `through the onion (${encType})`;
      const stored = await viaOnion(path, dest, "store", storeParams(alice, text), encType);
      expect(stored.status).toBe(200);
      expect(Object.keys(stored.body.swarm).sort()).toEqual(members.map((m) => m.info.pubkey_ed25519).sort());

      const note = await monitor.next();
      expect(note.value).toMatchObject({
        event: "message",
        data: {
          pubkey: alice.sessionId,
          hash: stored.body.hash,
          namespace: 0,
          data: toBase64(utf8Encode(text)),
        },
      });
      controller.abort();

      const metrics = await (await fetch(`${dest.url}/metrics`)).text();
      expect(metrics).toMatch(/session_node_onion_requests_total\{outcome="final",code="ok"\} [1-9]/);

      const reader = members[members.length - 1]!;
      const otherPath = net.nodes
        .filter((n) => n !== reader)
        .reverse()
        .slice(0, 3);
      const got = await viaOnion(otherPath, reader, "retrieve", retrieveParams(alice), encType);
      expect(got.status).toBe(200);
      expect(got.body.messages.map((m: { data: string }) => utf8Decode(fromBase64(m.data)))).toEqual([text]);
    });
  }

  it("a node outside the recipient's swarm answers 421 with the right swarm, through the onion", async () => {
    const bob = newAccount();
    const { swarm, members, others } = placement(bob.sessionId);
    const outsider = others[0]!;
    const path = net.nodes.filter((n) => n !== outsider).slice(0, 3);
    const r = await viaOnion(path, outsider, "store", storeParams(bob, "wrong place"), "xchacha20");
    expectWrongSwarm(r, swarm.id, members);
  });

  it("a v4 storage request at the final node gets a v4 answer", async () => {
    const carol = newAccount();
    const { members, others } = placement(carol.sessionId);
    const onion = buildClientOnion({
      payload: encodeV4Request(
        { method: "POST", endpoint: "/storage_rpc/v1", headers: { "content-type": "application/json" } },
        utf8Encode(JSON.stringify({ method: "store", params: storeParams(carol, "v4 store") })),
      ),
      destination: { kind: "node", ...hop(members[0]!) },
      hops: others.slice(0, 3).map(hop),
      encType: "aes-gcm",
    });
    const res = await postBytes(`${others[0]!.url}/oxen/v4/lsrpc`, onion.request);
    expect(res.status).toBe(200);
    const v4 = onion.openV4(res.body);
    expect(v4.info.code).toBe(200);
    expect(JSON.parse(utf8Decode(v4.body!)).hash).toMatch(/^[A-Za-z0-9+/]{43}$/);
  });

  it("3 real nodes relay to an HTTP server's /oxen/v4/lsrpc and back", async () => {
    const onion = buildClientOnion({
      payload: encodeV4Request({ method: "GET", endpoint: "/echo/via-real-nodes" }),
      destination: loopbackServer(server.port, server.x25519),
      hops: net.nodes.slice(0, 3).map(hop),
      encType: "xchacha20",
    });
    const res = await postBytes(`${net.nodes[0]!.url}/onion_req/v2`, onion.request);
    expect(res.status).toBe(200);
    const v4 = onion.openV4(res.body);
    expect(v4.info.code).toBe(200);
    expect(utf8Decode(v4.body!)).toBe("via-real-nodes");
  });
});
