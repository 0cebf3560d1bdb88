import { createIdentity, openPushNotification as open, SessionClient } from "@session/client";
import { randomBytesArray } from "@session/crypto";
import type { Devnet } from "@session/devnet";
import type { RunningServer } from "@session/service-kit";
import { describe, expect, it } from "vitest";
import type { SqlitePendingStore } from "../src/db/pending.ts";
import type { PushServer } from "../src/server.ts";
import { indexerNodeSource, seedNodeSource, swarmMembers } from "../src/watcher/nodes.ts";
import { devnetPushSuite } from "./devnet-push.ts";
import { FCM_HOST, type FcmStandIn } from "./fcm-stand-in.ts";
import { subscribeBody, waitFor } from "./helpers.ts";

let devnet: Devnet;
let fcm: FcmStandIn;
let pending: SqlitePendingStore;
let push: PushServer;
let server: RunningServer;
devnetPushSuite("push-e2e", (net) => {
  ({ devnet, fcm, pending, push, server } = net);
});

/**
 * Message events the watcher has handled from all streams (new, duplicate, …). A message to an
 * account watched on k streams is complete once k events for it arrived: only then is "exactly
 * once" worth checking, because nothing more about it can come.
 */
async function monitorEvents(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^push_monitor_messages_total\{result="[a-z]+"\} (\d+)$/gm))
    sum += Number(m[1]);
  return sum;
}

/** Waits until every watching stream reported the message(s) and the queue has sent them all. */
async function allArrived(since: number, events: number): Promise<void> {
  await waitFor(`${events} monitor events`, async () => (await monitorEvents()) - since >= events);
  await waitFor("queue drained", () => push.queue.size === 0);
}

describe("push server on a devnet", () => {
  it("notifies once per message through FCM, and loses nothing while FCM is down", async () => {
    const bob = createIdentity();
    const encKey = randomBytesArray(32);
    const res = await fetch(`${server.url}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        subscribeBody(bob.keys, { namespaces: [0], data: true, token: "bob-phone", encKey }),
      ),
    });
    expect(await res.json()).toMatchObject({ success: true, added: true });

    // Both watched swarm members have accepted the subscription before anything is sent.
    const members = swarmMembers(await seedNodeSource([devnet.seed])(), bob.sessionId);
    await waitFor(
      "monitor streams",
      () => push.watcher.openStreams(bob.sessionId) >= Math.min(2, members.length),
    );

    const alice = new SessionClient({ identity: createIdentity(), seeds: [devnet.seed] });
    await alice.connect();
    const watchers = push.watcher.openStreams(bob.sessionId);
    let events = await monitorEvents();
    const sent = await alice.sendText(bob.sessionId, "hello bob");
    // The second node's copy of the same message (after replication) must not produce a second
    // notification: checked once every watching node reported it.
    await allArrived(events, watchers);
    const metricsText = async () => (await fetch(`${server.url}/metrics`)).text();
    expect(await metricsText()).toMatch(/push_monitor_messages_total\{result="duplicate"\} 1\n/);
    expect(fcm.received).toHaveLength(1);
    expect(await metricsText()).toMatch(/push_monitor_messages_total\{result="new"\} 1\n/);
    const first = fcm.received[0]!;
    expect(first.host).toBe(FCM_HOST);
    expect(first.path).toBe("/v1/projects/session-test/messages:send");
    // A token the stand-in minted for firebase-admin's signed JWT assertion.
    expect(fcm.minted).toHaveLength(1);
    expect(first.auth).toBe(`Bearer ${fcm.minted[0]}`);
    expect(first.body.message.android).toEqual({ priority: "high" });
    expect(first.body.message.token).toBe("bob-phone");
    expect(first.body.message.data.spns).toBe("1");
    // Opened as the device would, with the client SDK.
    const opened = open(first.body.message.data.enc_payload, encKey);
    expect(opened).toMatchObject({ hash: sent.hash, account: bob.sessionId, namespace: 0, tooBig: false });
    expect(opened.body).toBeInstanceOf(Uint8Array);
    expect(opened.length).toBe(opened.body!.length);

    // FCM goes away; a message arrives; FCM comes back on the same address: it is delivered.
    fcm.unreachable = true;
    events = await monitorEvents();
    const second = await alice.sendText(bob.sessionId, "while you were out");
    await waitFor("a failed attempt", async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return /push_notification_attempts_failed_total\{service="firebase"\} [1-9]/.test(text);
    });
    expect(push.queue.size).toBe(1);
    // Stored, not only held: the row waits in the database with its failed attempts.
    const [row] = await pending.due(Number.MAX_SAFE_INTEGER, 5, []);
    expect(row?.token).toBe("bob-phone");
    expect(row?.attempts).toBeGreaterThanOrEqual(1);
    fcm.unreachable = false;
    await allArrived(events, watchers);
    expect(await pending.count()).toBe(0);
    expect(fcm.received).toHaveLength(2);
    expect(open(fcm.received[1]!.body.message.data.enc_payload, encKey).hash).toBe(second.hash);
    expect(push.queue.size).toBe(0);
  }, 60_000);

  it("gets the same node list and swarms from the sns-indexer as from a seed node", async () => {
    const key = (n: { pubkey_ed25519: string; swarm_id: string | bigint }) =>
      `${n.pubkey_ed25519}/${n.swarm_id}`;
    const fromSeed = (await seedNodeSource([devnet.seed])()).map(key).sort();
    const fromIndexer = (await indexerNodeSource(devnet.indexerUrl, fetch)()).map(key).sort();
    expect(fromIndexer).toEqual(fromSeed);
    expect(fromIndexer.length).toBe(devnet.nodes.length);
    await expect(indexerNodeSource(server.url, fetch)()).rejects.toThrow(/HTTP 404/);
  });

  it("adds a second device on the open streams, without reopening them", async () => {
    const dave = createIdentity();
    const k1 = randomBytesArray(32);
    const k2 = randomBytesArray(32);
    const sub = async (token: string, encKey: Uint8Array) => {
      const r = await push.app.request("/subscribe", {
        method: "POST",
        body: JSON.stringify(subscribeBody(dave.keys, { namespaces: [0], token, encKey })),
      });
      expect(await r.json()).toMatchObject({ success: true, added: true });
    };
    await sub("dave-phone", k1);
    await waitFor("monitor streams", () => push.watcher.openStreams(dave.sessionId) === 2);
    const ids = push.watcher.streamIds(dave.sessionId);
    const before = fcm.received.length;
    await sub("dave-tablet", k2);
    // Every change the subscription asked of the watcher has been applied.
    await push.watcher.settled();
    expect(push.watcher.streamIds(dave.sessionId)).toEqual(ids);
    const alice = new SessionClient({ identity: createIdentity(), seeds: [devnet.seed] });
    await alice.connect();
    const events = await monitorEvents();
    const sent = await alice.sendText(dave.sessionId, "to both devices");
    await allArrived(events, ids.length);
    const mine = fcm.received.slice(before);
    expect(mine.map((m) => m.body.message.token).sort()).toEqual(["dave-phone", "dave-tablet"]);
    for (const m of mine) {
      const key = m.body.message.token === "dave-phone" ? k1 : k2;
      expect(open(m.body.message.data.enc_payload, key).hash).toBe(sent.hash);
    }
  }, 60_000);

  it("moves to another swarm member when a watched node goes down", async () => {
    // An account whose swarm has a spare member beyond the two watched ones.
    const nodes = await seedNodeSource([devnet.seed])();
    let carol = createIdentity();
    for (let i = 0; i < 100 && swarmMembers(nodes, carol.sessionId).length < 3; i++) carol = createIdentity();
    const members = swarmMembers(nodes, carol.sessionId);
    expect(members.length).toBeGreaterThanOrEqual(3);
    const encKey = randomBytesArray(32);
    const before = fcm.received.length;
    const res = await push.app.request("/subscribe", {
      method: "POST",
      body: JSON.stringify(subscribeBody(carol.keys, { namespaces: [0], token: "carol-phone", encKey })),
    });
    expect(await res.json()).toMatchObject({ success: true });
    await waitFor("monitor streams", () => push.watcher.openStreams(carol.sessionId) === 2);
    // Take down one of the two members watching carol (not the seed the node list comes from).
    const watching = push.watcher.nodesOf(carol.sessionId);
    const victimKey = watching.find(
      (k) => devnet.nodes.find((n) => n.pubkeyEd25519 === k)?.url !== devnet.seedUrl,
    )!;
    const victim = devnet.nodes.find((n) => n.pubkeyEd25519 === victimKey)!;
    await victim.node.stop();
    await waitFor(
      "streams back on two live members",
      () =>
        push.watcher.openStreams(carol.sessionId) === 2 &&
        !push.watcher.nodesOf(carol.sessionId).includes(victimKey),
    );
    const alice = new SessionClient({
      identity: createIdentity(),
      seeds: [devnet.seedUrl === victim.url ? devnet.seeds[1]! : devnet.seed],
    });
    await alice.connect();
    // The sending client may first route through the stopped node (its pool still lists it) and
    // give up on that path: retry the send, which is the client's business, not the watcher's.
    const events = await monitorEvents();
    let sent: Awaited<ReturnType<typeof alice.sendText>> | undefined;
    for (let i = 0; i < 5 && !sent; i++)
      sent = await alice.sendText(carol.sessionId, "still there?").catch(() => undefined);
    if (!sent) throw new Error("could not send through the devnet");
    await allArrived(events, 2);
    const mine = fcm.received.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body.message.token).toBe("carol-phone");
    const opened = open(mine[0]!.body.message.data.enc_payload, encKey);
    expect(opened.hash).toBe(sent.hash);
    expect(opened.body).toBeUndefined();
  }, 60_000);
});
