import { afterAll } from "vitest";
import { CryptoThread } from "../../src/crypto-thread.ts";

/** Starts CryptoThreads for one test file (each ready to use); all are closed after its tests. */
export function threadStarter(): () => Promise<CryptoThread> {
  const threads: CryptoThread[] = [];
  afterAll(async () => {
    for (const t of threads) await t.close();
  });
  return async () => {
    const t = new CryptoThread();
    threads.push(t);
    await t.ready;
    return t;
  };
}
