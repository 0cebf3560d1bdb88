import { oldSpaceGrowth } from "@session/service-kit/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { peerClient } from "../src/replication/peer.ts";
import { nodeHttpReply } from "../src/rpc/http-fast-path.ts";
import { storageRpcWireReply } from "../src/rpc/storage-rpc-route.ts";
import { MessageStore } from "../src/storage/store.ts";
import { newAccount, retrieveParams, storeParams } from "./helpers/node-net.ts";
import { rpcHandlerInSwarm } from "./helpers/rpc-handler.ts";

/*
 * The store and retrieve paths leave (almost) nothing in V8's old generation: garbage there is
 * taken back only by a major GC, whose pauses (10–25 ms each, every few seconds per worker under
 * load) were the storage RPC's slowest requests (apps/node/README.md, "Garbage the old generation
 * collects"). On Node 20, `{ ...obj, key }` builds a new hidden class per call there, ~85 bytes,
 * and a long-lived Map kept in LRU order by delete and re-insert allocates its new tables there.
 * Measured here before the fix: store 289 bytes per request, retrieve 897; after it 16–58.
 */

const N = 4_000;
const store = MessageStore.open(":memory:");
afterAll(() => store.close());
const now = Date.now();
const rpc = rpcHandlerInSwarm(newAccount(), store, {
  clock: { now: () => now },
  peers: { sign: (b: unknown) => b, send: async () => ({ status: 503, body: "" }) } as unknown as ReturnType<
    typeof peerClient
  >,
});
const acct = newAccount();

/** Old-space growth per request while `run` makes N of them. */
async function perRequest(run: (i: number) => Promise<void>): Promise<number> {
  await run(-1); // compiled and warmed before the count
  return (
    (await oldSpaceGrowth(async () => {
      for (let i = 0; i < N; i++) await run(i);
    })) / N
  );
}

describe("old generation garbage per request", { timeout: 30_000 }, () => {
  it("store (signed), and its reply's head", async () => {
    const bodies = Array.from({ length: N + 1 }, (_, i) => ({
      method: "store",
      params: storeParams(acct, `message ${i}`, now),
    }));
    const bytes = await perRequest(async (i) => {
      const r = await rpc.handle(bodies[i + 1]);
      if (r.status !== 200) throw new Error(`store answered ${r.status}`);
      nodeHttpReply(storageRpcWireReply(r));
    });
    expect(bytes).toBeLessThan(120);
  });

  it("retrieve (signed), and its reply's head", async () => {
    const body = { method: "retrieve", params: retrieveParams(acct, { max_count: 1 }, now) };
    const bytes = await perRequest(async () => {
      const r = await rpc.handle(body);
      if (r.status !== 200) throw new Error(`retrieve answered ${r.status}`);
      nodeHttpReply(storageRpcWireReply(r));
    });
    expect(bytes).toBeLessThan(120);
  });
});
