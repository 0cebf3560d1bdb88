/*
 * A single-process node checks the signatures of busy turns on its signature thread
 * (src/rpc/verify-thread.ts): concurrent signed requests get the answers they get without it,
 * /metrics counts the checks the thread made, and SESSION_NODE_VERIFY_THREAD=0 keeps them all on
 * the event loop.
 */
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, nodeEnvSchema } from "../src/config.ts";
import type { RunningNode } from "../src/node.ts";
import { newAccount, retrieveParams, storeParams, TestNet } from "./helpers/node-net.ts";

const withThread = new TestNet();
const without = new TestNet({ verifyThread: false });
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

const onThread = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("session_node_signatures_checked_on_thread_total "));
  return Number(line?.split(" ")[1]);
};

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

describe("signature thread", () => {
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

  it("SESSION_NODE_VERIFY_THREAD: on unless 0/false/no", () => {
    const parse = (v?: string) =>
      configFromEnv(
        nodeEnvSchema.parse({
          REGISTRY_FILE: "/r.json",
          ...(v === undefined ? {} : { SESSION_NODE_VERIFY_THREAD: v }),
        }),
      ).verifyThread;
    expect([parse(), parse("1"), parse("yes"), parse("0"), parse("false"), parse("no")]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(
      nodeEnvSchema.safeParse({ REGISTRY_FILE: "/r.json", SESSION_NODE_VERIFY_THREAD: "maybe" }).success,
    ).toBe(false);
  });
});
