/*
 * With SESSION_NODE_VERIFY_THREAD=1 a single-process node runs the signature checks of busy turns
 * on its crypto thread (src/crypto-thread.ts), and with SESSION_NODE_ONION_THREAD=1 also its onion
 * layers' X25519: concurrent signed requests and onion requests get the answers they get without
 * it, /metrics counts the work the thread did; by default everything stays on the event loop.
 */
import { fromBase64, onionSealLayer, toHex, utf8Decode, utf8Encode } from "@session/crypto";
import { decodeFinalHopResponse, encodeOnionLayer, FINAL_HOP_CONTROL } from "@session/protocol/onion";
import { openHopReply } from "@session/service-kit";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, nodeEnvSchema } from "../src/config.ts";
import type { RunningNode } from "../src/node.ts";
import { newAccount, retrieveParams, storeParams, TestNet } from "./helpers/node-net.ts";

const withThread = new TestNet({ verifyThread: true, onionThread: true });
const without = new TestNet();
let a: RunningNode;
let b: RunningNode;
// Many connections, so that requests arrive in the same event-loop turn.
const agent = new Agent({ connections: 32 });

beforeAll(async () => {
  [a] = (await withThread.start(1)) as [RunningNode];
  [b] = (await without.start(1)) as [RunningNode];
});
afterAll(async () => {
  await agent.close();
  await withThread.stop();
  await without.stop();
});

const post = async (url: string, method: string, params: unknown) => {
  const res = await fetch(`${url}/storage_rpc/v1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method, params }),
    dispatcher: agent,
  });
  return { status: res.status, text: await res.text() };
};

const onThread = async (url: string, metric = "session_node_signatures_checked_on_thread_total") => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${metric} `));
  return Number(line?.split(" ")[1]);
};
const X25519_METRIC = "session_node_onion_x25519_on_thread_total";

/** Rounds of concurrent one-hop onion requests to `node`: good ones, and ones that do not open. */
async function onionBurst(node: RunningNode) {
  const outcomes: string[] = [];
  const info = encodeOnionLayer(
    utf8Encode(JSON.stringify({ method: "info", params: {} })),
    FINAL_HOP_CONTROL,
  );
  for (let round = 0; round < 3; round++) {
    const reqs = Array.from({ length: 16 }, async (_, i) => {
      const encType = i % 2 ? "xchacha20" : "aes-gcm";
      // A layer this node is the destination of; every fourth request's ephemeral key is of low
      // order instead, and every fourth+1 opens under no key.
      const layer = onionSealLayer(info, node.keys.x25519.publicKey, encType);
      const ephemeralKey =
        [`${"00".repeat(32)}`, `${"11".repeat(32)}`][i % 4] ?? toHex(layer.ephemeralPublicKey);
      const body = encodeOnionLayer(layer.ciphertext, { ephemeral_key: ephemeralKey, enc_type: encType });
      const res = await fetch(`${node.url}/onion_req/v2`, {
        method: "POST",
        body: body as Uint8Array<ArrayBuffer>,
        dispatcher: agent,
      } as RequestInit);
      const text = await res.text();
      return res.status === 200
        ? `200 ${decodeFinalHopResponse(utf8Decode(openHopReply(encType, fromBase64(text), layer.keys))).status}`
        : `${res.status} ${text}`;
    });
    outcomes.push(...(await Promise.all(reqs)));
  }
  return outcomes;
}

/** Rounds of concurrent signed stores (namespace 1), good and forged, then signed retrieves. */
async function burst(url: string) {
  const acct = newAccount();
  const other = newAccount();
  const outcomes: string[] = [];
  for (let round = 0; round < 5; round++) {
    const reqs = Array.from({ length: 24 }, (_, i) => {
      const params = storeParams(acct, `m${round}-${i}`, Date.now(), { namespace: 1 }) as Record<
        string,
        unknown
      >;
      if (i % 4 === 3)
        params.signature = (
          storeParams(other, "x", Date.now(), { namespace: 1 }) as { signature: string }
        ).signature;
      return post(url, "store", params);
    });
    reqs.push(
      ...Array.from({ length: 8 }, () => post(url, "retrieve", retrieveParams(acct, { namespace: 1 }))),
    );
    outcomes.push(...(await Promise.all(reqs)).map((r) => `${r.status} ${r.status === 200 ? "" : r.text}`));
  }
  return outcomes;
}

describe("crypto thread", () => {
  it("answers concurrent signed requests as the event loop does, and counts the checks it made", async () => {
    const before = await onThread(a.url);
    const threaded = await burst(a.url);
    const inline = await burst(b.url);
    expect(threaded).toEqual(inline);
    expect(threaded.filter((o) => o.startsWith("200"))).toHaveLength(5 * (18 + 8));
    expect(threaded.filter((o) => o.startsWith("401"))).toHaveLength(5 * 6);
    expect((await onThread(a.url)) - before).toBeGreaterThan(0);
    expect(await onThread(b.url)).toBe(0);
  }, 60_000);

  it("answers concurrent onion requests as the event loop does, and counts the X25519 it computed", async () => {
    const before = await onThread(a.url, X25519_METRIC);
    const threaded = await onionBurst(a);
    const inline = await onionBurst(b);
    expect(threaded).toEqual(inline);
    expect(threaded.filter((o) => o === "200 200")).toHaveLength(3 * 8);
    expect(threaded.filter((o) => o === "400 Invalid ciphertext")).toHaveLength(3 * 8);
    expect((await onThread(a.url, X25519_METRIC)) - before).toBeGreaterThan(0);
    expect(await onThread(b.url, X25519_METRIC)).toBe(0);
  }, 60_000);

  it("SESSION_NODE_VERIFY_THREAD: off unless 1/true/yes", () => {
    const parse = (v?: string) =>
      configFromEnv(
        nodeEnvSchema.parse({
          REGISTRY_FILE: "/r.json",
          ...(v === undefined ? {} : { SESSION_NODE_VERIFY_THREAD: v }),
        }),
      ).verifyThread;
    expect([parse(), parse("1"), parse("yes"), parse("0"), parse("false"), parse("no")]).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(
      nodeEnvSchema.safeParse({ REGISTRY_FILE: "/r.json", SESSION_NODE_VERIFY_THREAD: "maybe" }).success,
    ).toBe(false);
    const onion = (env: Record<string, string>) =>
      configFromEnv(nodeEnvSchema.parse({ REGISTRY_FILE: "/r.json", ...env })).onionThread;
    expect([onion({}), onion({ SESSION_NODE_ONION_THREAD: "1" })]).toEqual([false, true]);
  });

  it("keeps onion X25519 on the event loop unless SESSION_NODE_ONION_THREAD is set", async () => {
    const plain = new TestNet({ verifyThread: true });
    try {
      const [c] = (await plain.start(1)) as [RunningNode];
      const answers = await onionBurst(c);
      expect(answers).toEqual(await onionBurst(b));
      expect(await onThread(c.url, X25519_METRIC)).toBe(0);
    } finally {
      await plain.stop();
    }
  }, 60_000);
});
