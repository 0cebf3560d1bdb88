import type { NewMessage } from "./store.ts";

/** A fixed clock for storage tests (2025-12-06). */
export const TEST_NOW = 1_765_000_000_000;

/** Message `i` of one account in namespace 1, live for a minute after TEST_NOW; `over` changes any field. */
export const testMessage = (i: number, over: Partial<NewMessage> = {}): NewMessage => ({
  hash: `h${String(i).padStart(42, "0")}`,
  owner: `05${"ab".repeat(32)}`,
  namespace: 1,
  timestamp: TEST_NOW,
  expiry: TEST_NOW + 60_000,
  data: new Uint8Array([i]),
  ...over,
});
