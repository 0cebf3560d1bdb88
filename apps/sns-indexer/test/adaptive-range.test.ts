import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { activationLog, syntheticChain, syntheticFollower } from "./synthetic-chain.ts";

const registry = "0x00000000000000000000000000000000000000aa";
const names = "0x00000000000000000000000000000000000000bb";
const dir = mkdtempSync(join(tmpdir(), "indexer-range-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A chain of `head` blocks with events at `eventBlocks`, refusing ranges wider than `limit`. */
function sparseChain(head: number, eventBlocks: number[], limit: number) {
  const logs = eventBlocks.map((b, i) => activationLog(b, registry, i + 1, i));
  const { chain, calls } = syntheticChain({ head, logs, rangeLimit: limit });
  return { provider: chain, calls };
}

describe("adaptive eth_getLogs ranges", () => {
  it("a sparse 2M-block span: ranges grow over empty stretches, halve when refused, and every event lands once", async () => {
    const events = [5, 1_000_000, 1_000_001, 1_999_990];
    const { provider, calls } = sparseChain(2_000_000, events, 50_000);
    const { store, follower } = await syntheticFollower(provider, join(dir, "a.sqlite"), {
      addresses: { registry, names },
      batchSize: 1000,
      maxBatchSize: 200_000,
      reorgDepth: 4,
      retry: { attempts: 1, baseMs: 1 },
    });
    await follower.syncOnce();
    expect(follower.indexedTo).toBe(2_000_000);
    expect(await store.eventCount()).toBe(events.length);
    // Fixed 1000-block batches would take 2000 calls; a refused range is halved, not retried as is.
    const answered = calls.filter((c) => !c.refused);
    expect(answered.length).toBeLessThan(100);
    expect(calls.some((c) => c.refused)).toBe(true);
    for (let i = 1; i < calls.length; i++) {
      if (calls[i - 1]!.refused)
        expect(calls[i]!.to - calls[i]!.from).toBeLessThan(calls[i - 1]!.to - calls[i - 1]!.from);
    }
    // Contiguous coverage: each answered range starts right after the previous one (besides the
    // one-block re-reads of a batch's last block with events, the check that a list was not cut).
    const ranges = answered.filter((c) => !(c.from === c.to && events.includes(c.from)));
    expect(answered.length - ranges.length).toBeLessThanOrEqual(events.length);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.from).toBe(ranges[i - 1]!.to + 1);
    await store.close();
  });

  it("without maxBatchSize the span stays fixed (the previous behaviour)", async () => {
    const { provider, calls } = sparseChain(10_000, [3], 50_000);
    const { store, follower } = await syntheticFollower(provider, join(dir, "b.sqlite"), {
      addresses: { registry, names },
      batchSize: 1000,
      reorgDepth: 4,
    });
    await follower.syncOnce();
    // Ten fixed spans, and the one-block re-read of the block with the event (the cut-list check).
    expect(calls.filter((c) => c.from !== c.to)).toHaveLength(10);
    expect(calls.filter((c) => c.from === c.to)).toEqual([{ from: 3, to: 3, refused: false }]);
    await store.close();
  });
});
