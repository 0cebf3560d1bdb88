import { generateSeed, keypairFromSeed } from "@session/crypto";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningNode } from "../src/node.ts";
import { dispatcherPost } from "../src/onion/http.ts";
import { nodeLinks } from "../src/onion/node-link.ts";
import { peerAuth } from "../src/replication/peer.ts";
import { newAccount, retrieveParams, rpc, storeParams, TestNet } from "./helpers/node-net.ts";

/*
 * Swarm forwards over node links between real nodes: a store fans out to its swarm peers as link
 * peer requests (no POST /node_rpc/v1), checked on arrival exactly as that endpoint checks them.
 */
const net = new TestNet();
let nodes: RunningNode[];
beforeAll(async () => {
  nodes = await net.start(3); // fewer nodes than a swarm's minimum: one swarm
});
afterAll(() => net.stop());

const metric = async (n: RunningNode, pattern: RegExp) => {
  const text = await (await fetch(`${n.url}/metrics`)).text();
  return [...text.matchAll(new RegExp(pattern.source, "g"))].reduce((s, m) => s + Number(m[1]), 0);
};
const nodeRpcPosts = (n: RunningNode) =>
  metric(n, /http_requests_total\{[^}]*route="\/node_rpc\/v1"[^}]*\} (\d+)/);

describe("node links between nodes", () => {
  it("carry a store's swarm forwards; every member stores it and signs its entry", async () => {
    const [a, b, c] = nodes as [RunningNode, RunningNode, RunningNode];
    const acct = newAccount();
    const before = await Promise.all([b, c].map(nodeRpcPosts));
    const res = await rpc(a.url, "store", storeParams(acct, "over links", Date.now(), { namespace: 1 }));
    expect(res.status).toBe(200);
    const swarm = res.body.swarm as Record<string, { hash?: string; signature?: string; failed?: boolean }>;
    for (const n of nodes) {
      expect(swarm[n.info.pubkey_ed25519]?.hash).toBe(res.body.hash);
      expect(swarm[n.info.pubkey_ed25519]?.signature).toBeTruthy();
    }
    for (const n of [b, c]) {
      const got = await rpc(n.url, "retrieve", retrieveParams(acct, { namespace: 1 }));
      expect(got.body.messages.map((m: { hash: string }) => m.hash)).toEqual([res.body.hash]);
    }
    expect(await Promise.all([b, c].map(nodeRpcPosts))).toEqual(before); // none over HTTP
    // (the counter does count HTTP peer requests: one unsigned POST shows up)
    await fetch(`${b.url}/node_rpc/v1`, { method: "POST", body: "{}" });
    expect(await nodeRpcPosts(b)).toBe(before[0]! + 1);
    expect(await metric(a, /session_node_node_links\{direction="out"\} (\d+)/)).toBe(2);
    expect(await metric(b, /session_node_node_links\{direction="in"\} (\d+)/)).toBeGreaterThanOrEqual(1);
  });

  it("check a peer request's signature and sender on arrival, as POST /node_rpc/v1 does", async () => {
    const [a, b] = nodes as [RunningNode, RunningNode];
    const agent = new Agent();
    const links = nodeLinks(dispatcherPost(agent), { maxReplyBytes: 1 << 20 });
    try {
      const body = new TextEncoder().encode(JSON.stringify({ action: "sync" }));
      const opts = { timeoutMs: 5000, maxReplyBytes: 1 << 20 };
      const call = async (auth: Parameters<typeof links.peerRequest>[1]) => {
        const r = await links.peerRequest(b.url, auth, body, opts);
        return { status: r?.status, body: JSON.parse(new TextDecoder().decode(r!.body)) };
      };
      // Signed by a registered node (a's key): accepted.
      const good = peerAuth(a.keys.ed25519, body, Date.now());
      expect((await call(good)).status).toBe(200);
      // Signature over another body, a stale timestamp, a key nobody registered: refused.
      const other = peerAuth(a.keys.ed25519, new TextEncoder().encode("{}"), Date.now());
      expect(await call({ ...good, signature: other.signature })).toMatchObject({
        status: 401,
        body: { error: { code: "BAD_SIGNATURE" } },
      });
      const stale = peerAuth(a.keys.ed25519, body, Date.now() - 120_000);
      expect((await call(stale)).body.error.code).toBe("TIMESTAMP_OUT_OF_WINDOW");
      const stranger = peerAuth(keypairFromSeed(generateSeed()).ed25519, body, Date.now());
      expect(await call(stranger)).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    } finally {
      links.close();
      await agent.close();
    }
  });
});
