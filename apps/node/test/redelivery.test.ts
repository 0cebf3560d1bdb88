import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningNode, startNode } from "../src/node.ts";
import { newAccount, nodeConfig, rpc, signed, silent, storeParams, TestNet } from "./helpers/node-net.ts";
import { proxy } from "./helpers/tcp-proxy.ts";

const net = new TestNet();
afterAll(() => net.stop());

describe("redelivery of stores a swarm peer missed", () => {
  it("a member cut off during a store, then a delete, gets both once it is reachable again, without restarting", async () => {
    const [a, b] = await net.start(2);
    // The third member is reached only through the proxy.
    const cut = await proxy();
    const c: RunningNode = await startNode(
      nodeConfig(join(net.dir, "behind-proxy"), net.registry, { publicPort: cut.port }),
      { logger: silent },
    );
    cut.to(Number(new URL(c.url).port));
    net.nodes.push(c);
    await net.publish();
    expect(a!.ctx.membership.peers()).toHaveLength(2);

    const alice = newAccount();
    cut.set(false);
    const r = await rpc(a!.url, "store", storeParams(alice, "while c was cut off"));
    expect(r.status).toBe(200);
    expect(r.body.swarm[c.info.pubkey_ed25519]).toMatchObject({ failed: true });
    expect(r.body.swarm[b!.info.pubkey_ed25519].hash).toBe(r.body.hash);
    expect(c.ctx.store.get(r.body.hash, Date.now())).toBeUndefined();
    expect(a!.ctx.redelivery!.size).toBe(1);

    // Still cut off: the attempt fails and the message waits.
    expect(await a!.ctx.redelivery!.flush()).toEqual({ delivered: 0, dropped: 0 });
    cut.set(true);
    expect(await a!.ctx.redelivery!.flush()).toEqual({ delivered: 1, dropped: 0 });
    expect(c.ctx.store.get(r.body.hash, Date.now())?.hash).toBe(r.body.hash);
    const metrics = await (await fetch(`${a!.url}/metrics`)).text();
    expect(metrics).toMatch(/session_node_redelivered_messages_total\{outcome="delivered"\} 1/);

    // A delete c misses is forwarded to it again, with alice's own signature, once it is back.
    cut.set(false);
    const del = await rpc(
      a!.url,
      "delete",
      signed(alice, "delete", { pubkey: alice.sessionId, messages: [r.body.hash], timestamp: Date.now() }),
    );
    expect(del.status).toBe(200);
    expect(del.body.swarm[c.info.pubkey_ed25519]).toMatchObject({ failed: true });
    expect(b!.ctx.store.get(r.body.hash, Date.now())).toBeUndefined();
    expect(c.ctx.store.get(r.body.hash, Date.now())?.hash).toBe(r.body.hash);
    cut.set(true);
    expect(await a!.ctx.redelivery!.flush()).toEqual({ delivered: 1, dropped: 0 });
    expect(c.ctx.store.get(r.body.hash, Date.now())).toBeUndefined();
    await cut.close();
  }, 30_000);
});
