import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SharedWriter } from "../storage/shared-writer.ts";
import { MessageStore, type NewMessage } from "../storage/store.ts";
import { announceArrivals } from "./arrivals.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const now = Date.now();
const msg = (i: number): NewMessage => ({
  hash: `h${String(i).padStart(42, "0")}`,
  owner: `05${String(i % 3).repeat(64)}`,
  namespace: 0,
  timestamp: now,
  expiry: now + 60_000,
  data: new Uint8Array([i, 7]),
});

/** An owner's store, a worker's writer beside it, and the owner's arrivals tail (polled by hand). */
function setup() {
  const dir = mkdtempSync(join(tmpdir(), "arrivals-"));
  const store = MessageStore.open(join(dir, "storage.db"));
  const worker = SharedWriter.open(join(dir, "storage.db"));
  const seen: { hash: string; pubkey: string; data: Uint8Array }[] = [];
  let watching = true;
  const tail = announceArrivals({
    store,
    watching: () => watching,
    announce: (m) => seen.push({ hash: m.hash, pubkey: m.pubkey, data: m.data }),
    onError: (err) => {
      throw err;
    },
    intervalMs: 60_000,
  });
  cleanups.push(() => {
    tail.stop();
    worker.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    store,
    worker,
    seen,
    tail,
    setWatching: (w: boolean) => {
      watching = w;
    },
  };
}

describe("announceArrivals", () => {
  it("announces what any connection committed since the last look, once each, in commit order", async () => {
    const { store, worker, seen, tail } = setup();
    await Promise.all([1, 2, 3].map((i) => worker.write(msg(i), now)));
    store.storeInBatch(msg(4));
    await store.durable();
    tail.poll();
    expect(seen.map((m) => m.hash)).toEqual([1, 2, 3, 4].map((i) => msg(i).hash));
    expect(seen[0]).toEqual({ hash: msg(1).hash, pubkey: msg(1).owner, data: new Uint8Array([1, 7]) });
    tail.poll(); // nothing new
    expect(seen).toHaveLength(4);
    await worker.write(msg(5), now);
    tail.poll();
    expect(seen.map((m) => m.hash).at(-1)).toBe(msg(5).hash);
    expect(seen).toHaveLength(5);
  });

  it("reads nothing while no stream watches, and does not announce those rows later", async () => {
    const { worker, seen, tail, setWatching } = setup();
    setWatching(false);
    await worker.write(msg(1), now);
    tail.poll();
    setWatching(true);
    tail.poll();
    expect(seen).toEqual([]);
    await worker.write(msg(2), now);
    tail.poll();
    expect(seen.map((m) => m.hash)).toEqual([msg(2).hash]);
  });

  it("reads a burst over several looks, in order, without skipping any", async () => {
    const { store, seen, tail } = setup();
    const burst = Array.from({ length: 4_500 }, (_, i) => msg(10 + i));
    store.storeMany(burst);
    tail.poll(); // at most 4 pages of 1000 in one look
    expect(seen).toHaveLength(4_000);
    tail.poll();
    expect(seen.map((m) => m.hash)).toEqual(burst.map((m) => m.hash));
  });
});
