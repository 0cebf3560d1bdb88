import { describe, expect, it } from "vitest";
import { chaosSeed, runChaos } from "./chaos.ts";

// Seeded churn on 12 node processes (SIGKILL and restart, at least 7 up): the issue #18 target.
describe("sends survive churn", () => {
  it("≥ 99 % of sends succeed with 7+ of 12 nodes up, and every acknowledged message is retrievable", async () => {
    const seed = chaosSeed();
    console.log(`chaos seed ${seed} (replay: SEED=${seed})`);
    const r = await runChaos({ seed, durationMs: 30_000, log: (l) => console.log(`  ${l}`) });
    console.log(
      `chaos seed ${seed}: ${r.sends} sends, ${r.acknowledged} acknowledged, ${r.failed} failed ${JSON.stringify(r.failures)}, ${r.kills} kills (min up ${r.minUpSeen}/12), retrievable ${r.retrievable}`,
    );
    expect(r.kills).toBeGreaterThan(0);
    expect(r.minUpSeen).toBeGreaterThanOrEqual(7);
    expect(r.acknowledged / r.sends).toBeGreaterThanOrEqual(0.99);
    expect(r.retrievable).toBe(r.acknowledged);
  }, 400_000);
});
