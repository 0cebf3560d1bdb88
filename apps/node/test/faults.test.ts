import { fromBase64 } from "@session/crypto";
import { mountSmallDisk, requireSmallDisk, type SmallDisk } from "@session/service-kit/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningNode } from "../src/node.ts";
import { newAccount, retrieveParams, rpc, storeParams, TestNet } from "./helpers/node-net.ts";

const PUBLIC_OUTBOX = -21;

/** The raw storage RPC answer: status, our error-code header, and the JSON body. */
async function rawRpc(url: string, method: string, params: unknown) {
  const res = await fetch(`${url}/storage_rpc/v1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method, params }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read RPC bodies field by field
  const body: any = await res.json();
  return { status: res.status, code: res.headers.get("x-session-error-code"), body };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read the health body field by field
const health = async (node: RunningNode): Promise<any> => (await fetch(`${node.url}/health`)).json();

const texts = (body: { messages: { data: string }[] }) =>
  body.messages.map((m) => new TextDecoder().decode(fromBase64(m.data)));

/**
 * Fills the database's write-ahead log on a full disk. The log reuses the space of frames the
 * checkpoint thread has already copied out (src/storage/checkpointer.ts), so the first commits
 * after the disk fills may still fit: throwaway stores (another account) go in until one is refused.
 */
async function exhaustLog(node: RunningNode): Promise<void> {
  const filler = newAccount();
  const store = async (i: number) =>
    (await rawRpc(node.url, "store", storeParams(filler, `${i}${FILLER}`))).status;
  for (let i = 0; i < 100; i++) {
    if ((await store(i)) !== 500) continue;
    // Refused; still refused once the checkpoint thread has had its turns (a checkpoint that can
    // complete without growing the database frees the log's space again).
    await new Promise((r) => setTimeout(r, 500));
    if ((await store(-i)) === 500) return;
  }
  throw new Error("the node kept taking stores on a full disk");
}
/** Filler and test stores of this size: a store that needs no more log than the refused filler fits. */
const FILLER = "x".repeat(30_000);

// One node of a two-node swarm keeps its database on a 2 MiB tmpfs that the test fills.
describe.skipIf(!requireSmallDisk())("a node whose disk fills up", () => {
  let disk: SmallDisk;
  const net = new TestNet();
  let full: RunningNode;
  let roomy: RunningNode;
  const selfHex = (n: RunningNode) => n.info.pubkey_ed25519;

  beforeAll(async () => {
    disk = await mountSmallDisk(2 * 1024 * 1024);
    await net.start(1);
    roomy = net.nodes[0]!;
    full = await net.startOne("full", disk.dir);
    await net.publish();
  });
  // A failed assertion must not leave the disk full for the next test.
  afterEach(async () => {
    await disk.free();
  });
  afterAll(async () => {
    await net.stop();
    await disk?.unmount();
  });

  it("answers a store it cannot commit as oxenss does, forwards nothing, keeps reads, reports and recovers", async () => {
    expect((await health(full)).peers).toBe(1);
    const acct = newAccount();
    const first = await rpc(full.url, "store", storeParams(acct, "before"));
    expect(first.status).toBe(200);

    await disk.fill();
    await exhaustLog(full);
    for (const text of ["lost-1", "lost-2"]) {
      const r = await rawRpc(full.url, "store", storeParams(acct, `${text}${FILLER}`));
      expect(r.status).toBe(500);
      expect(r.code).toBe("STORAGE_FULL");
      // Its own entry only: the swarm was not asked to hold what this node refused.
      expect(Object.keys(r.body.swarm)).toEqual([selfHex(full)]);
      expect(r.body.swarm[selfHex(full)]).toMatchObject({ failed: true, query_failure: true });
      expect(r.body.swarm[selfHex(full)].signature).toBeUndefined();
      expect(r.body.hash).toBeUndefined();
    }
    // Reads keep working, and nothing of the refused stores is anywhere.
    for (const node of [full, roomy]) {
      const got = await rpc(node.url, "retrieve", retrieveParams(acct));
      expect(got.status).toBe(200);
      expect(texts(got.body)).toEqual(["before"]);
    }
    expect((await health(full)).conditions).toEqual(["disk_full"]);
    const metrics = await (await fetch(`${full.url}/metrics`)).text();
    expect(metrics).toMatch(/^session_node_degraded\{condition="disk_full"\} 1$/m);

    await disk.free();
    const after = await rpc(full.url, "store", storeParams(acct, "after"));
    expect(after.status).toBe(200);
    expect(Object.keys(after.body.swarm).sort()).toEqual([selfHex(full), selfHex(roomy)].sort());
    expect((await health(full)).conditions).toEqual([]);
    expect(await (await fetch(`${full.url}/metrics`)).text()).toMatch(
      /^session_node_degraded\{condition="disk_full"\} 0$/m,
    );
    expect(texts((await rpc(full.url, "retrieve", retrieveParams(acct))).body)).toEqual(["before", "after"]);
  });

  it("keeps a public outbox's message when the store replacing it fails to commit", async () => {
    const acct = newAccount();
    const outbox = (text: string) => storeParams(acct, text, Date.now(), { namespace: PUBLIC_OUTBOX });
    const v1 = await rawRpc(full.url, "store", outbox("profile-v1"));
    expect(v1).toMatchObject({ status: 200 });
    await disk.fill();
    try {
      await exhaustLog(full);
      const r = await rawRpc(full.url, "store", outbox(`profile-v2${FILLER}`));
      expect(r.status).toBe(500);
      expect(r.code).toBe("STORAGE_FULL");
      const got = await rpc(full.url, "retrieve", retrieveParams(acct, { namespace: PUBLIC_OUTBOX }));
      expect(texts(got.body)).toEqual(["profile-v1"]);
    } finally {
      await disk.free();
    }
  });

  it("refuses a forwarded store with a 500 the entry node records as a failed member", async () => {
    const acct = newAccount();
    await disk.fill();
    try {
      await exhaustLog(full);
      const r = await rawRpc(roomy.url, "store", storeParams(acct, `via-roomy${FILLER}`));
      // Stored by one member: oxenss answers 200 with the other's failure in its entry.
      expect(r.status).toBe(200);
      expect(r.body.swarm[selfHex(roomy)].hash).toBe(r.body.hash);
      expect(r.body.swarm[selfHex(full)]).toMatchObject({ failed: true, code: 500 });
      const here = await rpc(full.url, "retrieve", retrieveParams(acct));
      expect(texts(here.body)).toEqual([]);
    } finally {
      await disk.free();
    }
  });
});
