import { sign } from "node:crypto";
import { EventEmitter } from "node:events";
import { toBase64, toHex, utf8Encode } from "@session/crypto";
import {
  assignSwarms,
  computeMessageHash,
  type NodeInfo,
  signRpcParams,
  swarmForPubkey,
} from "@session/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMonitorStream } from "../src/monitor/client.ts";
import { monitorSignatureMessage } from "../src/monitor/schema.ts";
import { newAccount, type TestAccount } from "./helpers/accounts.ts";
import { buildClientOnion, postBytes } from "./helpers/onion-client.ts";
import { type OnionTestNode, startOnionTestNode, TestNetwork } from "./helpers/onion-node.ts";
import { swarmStorage } from "./helpers/swarm-storage.ts";

/*
 * A client stores a message for a recipient through a 3-hop path that ends at a node of the
 * recipient's swarm, reads it back the same way, and a push-server-style monitor subscription
 * on that node sees it. Six real node servers, two swarms of three. The storage behind each
 * node is the in-memory stand-in of test/helpers/swarm-storage.ts (see there).
 */

const network = new TestNetwork();
const handlers = new Map<string, (body: unknown) => Promise<{ status: number; body: unknown }>>();
const emitters = new Map<string, EventEmitter>();
let nodes: OnionTestNode[] = [];
let swarms: Map<bigint, NodeInfo[]>;

beforeAll(async () => {
  nodes = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const events = new EventEmitter();
      const node = await startOnionTestNode(network, {
        events,
        rpc: (body) => handlers.get(node.ed25519Hex)!(body),
      });
      emitters.set(node.ed25519Hex, events);
      return node;
    }),
  );
  swarms = assignSwarms(
    nodes.map((n) => ({ ...n.address, swarm_id: "0" })),
    { minSwarmSize: 2, targetSwarmSize: 3 },
  );
  expect(swarms.size).toBe(2);
  for (const [id, members] of swarms) {
    for (const m of members) {
      m.swarm_id = id.toString();
      const events = emitters.get(m.pubkey_ed25519)!;
      handlers.set(
        m.pubkey_ed25519,
        swarmStorage({ mySwarm: id, swarms, onStored: (s) => events.emit("stored", s) }),
      );
    }
  }
});
afterAll(() => Promise.all(nodes.map((n) => n.close())));

function placement(recipient: TestAccount) {
  const owner = swarmForPubkey(recipient.sessionId, [...swarms.keys()]);
  const members = swarms.get(owner)!;
  const byHex = (hex: string) => nodes.find((n) => n.ed25519Hex === hex)!;
  const dest = byHex(members[0]!.pubkey_ed25519);
  const outsider = nodes.find((n) => !members.some((m) => m.pubkey_ed25519 === n.ed25519Hex))!;
  const path = nodes.filter((n) => n !== dest).slice(0, 3);
  return { owner, members, dest, outsider, path };
}

async function viaOnion(
  path: OnionTestNode[],
  dest: OnionTestNode,
  request: object,
  encType: "aes-gcm" | "xchacha20",
) {
  const onion = buildClientOnion({
    payload: utf8Encode(JSON.stringify(request)),
    destination: { kind: "node", ed25519: dest.ed25519, x25519: dest.x25519 },
    hops: path,
    encType,
  });
  const res = await postBytes(`${path[0]!.url}/onion_req/v2`, onion.request);
  expect(res.status).toBe(200);
  return onion.openJson(res.body);
}

describe("store and retrieve through 3 hops to the recipient's swarm", () => {
  for (const encType of ["aes-gcm", "xchacha20"] as const) {
    it(`${encType}: store lands on a swarm member, the monitor sees it, a signed retrieve returns it`, async () => {
      const recipient = newAccount();
      const { dest, path } = placement(recipient);
      const now = Date.now();

      // The push server's view: a monitor stream on the destination node.
      const sigTs = Math.floor(now / 1000);
      const monitorSub = {
        pubkey: recipient.sessionId,
        session_ed25519: toHex(recipient.edPk),
        namespaces: [0],
        data: true,
        sig_ts: sigTs,
        signature: toBase64(
          new Uint8Array(
            sign(null, monitorSignatureMessage(recipient.sessionId, sigTs, true, [0]), recipient.key),
          ),
        ),
      };
      const controller = new AbortController();
      const monitor = await openMonitorStream(fetch, dest.url, [monitorSub], { signal: controller.signal });
      expect((await monitor.next()).value).toMatchObject({
        event: "subscribed",
        data: { results: [{ success: true }] },
      });

      const data = utf8Encode(`hello through the onion (${encType})`);
      const stored = await viaOnion(
        path,
        dest,
        {
          method: "store",
          params: {
            pubkey: recipient.sessionId,
            namespace: 0,
            timestamp: now,
            ttl: 86_400_000,
            data: toBase64(data),
          },
        },
        encType,
      );
      const hash = computeMessageHash(recipient.sessionId, 0, data);
      expect(stored).toEqual({ status: 200, body: { hash } });

      const note = await monitor.next();
      expect(note.value).toMatchObject({
        event: "message",
        data: { pubkey: recipient.sessionId, hash, data: toBase64(data) },
      });
      controller.abort();

      const retrieveParams = signRpcParams(
        "retrieve",
        { pubkey: recipient.sessionId, namespace: 0, timestamp: Date.now() },
        {
          sign: (m) => new Uint8Array(sign(null, m, recipient.key)),
          ed25519PubkeyHex: toHex(recipient.edPk),
        },
      );
      const got = await viaOnion(path, dest, { method: "retrieve", params: retrieveParams }, encType);
      expect(got.status).toBe(200);
      expect((got.body as { messages: { hash: string; data: string }[] }).messages).toEqual([
        expect.objectContaining({ hash, data: toBase64(data) }),
      ]);

      // The same retrieve signed by someone else is refused, through the onion.
      const forged = signRpcParams(
        "retrieve",
        { pubkey: recipient.sessionId, namespace: 0, timestamp: Date.now() },
        {
          sign: (m) => new Uint8Array(sign(null, m, newAccount().key)),
          ed25519PubkeyHex: toHex(recipient.edPk),
        },
      );
      expect((await viaOnion(path, dest, { method: "retrieve", params: forged }, encType)).status).toBe(401);
    });
  }

  it("a node outside the recipient's swarm answers 421 with the right swarm, through the onion", async () => {
    const recipient = newAccount();
    const { owner, members, outsider } = placement(recipient);
    const path = nodes.filter((n) => n !== outsider).slice(0, 3);
    const res = await viaOnion(
      path,
      outsider,
      {
        method: "store",
        params: {
          pubkey: recipient.sessionId,
          namespace: 0,
          timestamp: Date.now(),
          ttl: 86_400_000,
          data: "aGk=",
        },
      },
      "xchacha20",
    );
    expect(res.status).toBe(421);
    const body = res.body as { swarm: string; snodes: { pubkey_ed25519: string }[] };
    expect(BigInt(`0x${body.swarm}`)).toBe(owner);
    expect(body.snodes.map((s) => s.pubkey_ed25519).sort()).toEqual(
      members.map((m) => m.pubkey_ed25519).sort(),
    );
  });
});
