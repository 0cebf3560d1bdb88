import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { BACKSTOP_CHECKPOINT_PAGES } from "./checkpointer.ts";
import { RETRIEVE_PAGE } from "./hot-statements.ts";
import { MessageStore, type NewMessage } from "./store.ts";
import { TEST_NOW, testMessage } from "./test-messages.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A store on a real file plus a second connection that sees only committed rows. */
function open() {
  const dir = mkdtempSync(join(tmpdir(), "store-test-"));
  dirs.push(dir);
  const path = join(dir, "storage.db");
  const store = MessageStore.open(path);
  const other = new Database(path, { readonly: true });
  const committed = () => (other.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
  return {
    store,
    path,
    committed,
    close() {
      other.close();
      store.close();
    },
    closeReader: () => other.close(),
  };
}

const now = TEST_NOW;
const msg = testMessage;
const nextTurn = () => new Promise((r) => setImmediate(r));

describe("MessageStore group commit", () => {
  it("commits the stores of one turn together, after the turn, and durable() waits for it", async () => {
    const { store, committed, close } = open();
    expect(store.storeInBatch(msg(1))).toBe(true);
    expect(store.storeInBatch(msg(2))).toBe(true);
    expect(store.storeInBatch(msg(2))).toBe(false); // duplicate within the batch
    const durable = store.durable();
    expect(committed()).toBe(0);
    await durable;
    expect(committed()).toBe(2);
    await expect(store.durable()).resolves.toBeUndefined(); // nothing pending
    close();
  });

  it("commits the pending batch before any other read or write", async () => {
    const { store, path, committed, closeReader } = open();
    store.storeInBatch(msg(1));
    expect(store.get(msg(1).hash, now)?.hash).toBe(msg(1).hash);
    expect(committed()).toBe(1);
    store.storeInBatch(msg(2));
    expect(store.count(now)).toBe(2); // a drizzle query, through `db`
    expect(committed()).toBe(2);
    store.storeInBatch(msg(3));
    store.store(msg(4)); // the unbatched store commits at once, after the batch
    expect(committed()).toBe(4);
    store.storeInBatch(msg(5));
    expect(store.retrieve(msg(5).owner, 1, undefined, now, { maxSize: 1e6 }).messages).toHaveLength(5);
    expect(committed()).toBe(5);
    store.storeInBatch(msg(6));
    store.close(); // closing commits too
    expect(committed()).toBe(6);
    closeReader();
    const reopened = MessageStore.open(path);
    expect(reopened.count(now)).toBe(6);
    reopened.close();
  });

  it("rolls the batch back and rejects durable() when the commit fails", async () => {
    const { store, committed, close } = open();
    const sqlite = (store as unknown as { sqlite: Database.Database }).sqlite;
    const exec = sqlite.exec.bind(sqlite);
    let fail = true;
    sqlite.exec = ((sql: string) => {
      if (sql === "COMMIT" && fail) {
        fail = false;
        throw new Error("disk I/O error");
      }
      return exec(sql);
    }) as typeof sqlite.exec;
    store.storeInBatch(msg(1));
    await expect(store.durable()).rejects.toThrow("disk I/O error");
    expect(sqlite.inTransaction).toBe(false);
    expect(committed()).toBe(0);
    expect(store.get(msg(1).hash, now)).toBeUndefined();
    store.storeInBatch(msg(2)); // the next turn's batch works again
    await store.durable();
    expect(committed()).toBe(1);
    await nextTurn();
    close();
  });
});

describe("MessageStore bulk operations", () => {
  it("sweep(now, limit) removes at most `limit` expired rows, soonest-expired first, and never a live one", () => {
    const { store, close } = open();
    // 12 expired (expiry now-12 … now-1) and 3 live, inserted out of expiry order.
    const expired = Array.from({ length: 12 }, (_, i) => ({
      ...msg(100 + i),
      expiry: now - 12 + ((i * 5) % 12),
    }));
    for (const m of [...expired, msg(1), msg(2), msg(3)]) store.store(m);
    const left = () => expired.filter((m) => store.get(m.hash, 0) !== undefined).map((m) => m.expiry);
    expect(store.sweep(now, 5)).toBe(5);
    expect(left().sort((a, b) => a - b)).toEqual([
      now - 7,
      now - 6,
      now - 5,
      now - 4,
      now - 3,
      now - 2,
      now - 1,
    ]);
    expect(store.sweep(now, 5)).toBe(5);
    expect(store.sweep(now, 5)).toBe(2);
    expect(store.sweep(now, 5)).toBe(0);
    expect(store.count(now)).toBe(3);
    expect(store.sweep(now)).toBe(0); // no limit: everything expired, here nothing left
    close();
  });

  it("storeMany inserts a page in one transaction and returns only the new messages", () => {
    const { store, committed, close } = open();
    store.store(msg(2));
    const added = store.storeMany([msg(1), msg(2), msg(3), msg(3)]);
    expect(added.map((m) => m.hash)).toEqual([msg(1).hash, msg(3).hash]);
    expect(committed()).toBe(3);
    // A failing row rolls the whole page back.
    expect(() => store.storeMany([msg(4), { ...msg(5), owner: null as unknown as string }])).toThrow();
    expect(committed()).toBe(3);
    close();
  });

  it("openReadOnly reads what the writer committed, and refuses to write", async () => {
    const { store, path, close } = open();
    const reader = MessageStore.openReadOnly(path);
    store.storeInBatch(msg(1));
    // Not committed yet: a cluster worker answers only from committed rows.
    expect(reader.get(msg(1).hash, now)).toBeUndefined();
    await store.durable();
    expect(reader.retrieve(msg(1).owner, 1, undefined, now, { maxSize: 1 << 20 }).messages).toHaveLength(1);
    expect(reader.expiries(msg(1).owner, [msg(1).hash], now)).toEqual({ [msg(1).hash]: msg(1).expiry });
    expect(() => reader.store(msg(2))).toThrow(/readonly/i);
    reader.close();
    close();
  });
});

describe("MessageStore checkpoints", () => {
  it("checkpoints the WAL on its own thread, and close() still folds the WAL into the database", async () => {
    const { store, path, closeReader } = open();
    closeReader();
    const sqlite = (store as unknown as { sqlite: Database.Database }).sqlite;
    // The writer's own checkpoint is only a far backstop: 1000 pages would trigger it in a commit.
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(BACKSTOP_CHECKPOINT_PAGES);
    const big = (i: number): NewMessage => ({ ...msg(i), data: new Uint8Array(4096).fill(i % 251) });
    for (let turn = 0; turn < 10; turn++) {
      for (let i = 0; i < 50; i++) store.storeInBatch(big(turn * 50 + i));
      await store.durable();
    }
    const until = Date.now() + 10_000;
    while ((store.checkpoints?.framesCheckpointed ?? 0) === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    expect(store.checkpoints?.framesCheckpointed).toBeGreaterThan(500);
    expect(store.checkpoints?.failures).toBe(0);
    store.close();
    // The thread closed its connection first, so the writer's close was the last one.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = MessageStore.open(path);
    expect(reopened.count(now)).toBe(500);
    reopened.close();
  });

  it("an in-memory store has no checkpoint thread", () => {
    const store = MessageStore.open(":memory:");
    expect(store.checkpoints).toBeUndefined();
    store.close();
  });
});

describe("MessageStore.retrieve across pages", () => {
  // More rows than one statement call reads (RETRIEVE_PAGE), with expired and other-namespace
  // rows between them: the pages must join up exactly as one query would.
  it("returns every live message after the last hash, in order, within the limits", () => {
    const { store, close } = open();
    const n = RETRIEVE_PAGE * 2 + 37;
    const all: NewMessage[] = [];
    store.storeMany(
      Array.from({ length: n }, (_, i) => {
        const m = { ...msg(i), data: new Uint8Array(30) };
        if (i % 7 === 3) return { ...m, expiry: now - 1 }; // expired: never returned
        if (i % 11 === 5) return { ...m, namespace: 2 }; // another namespace
        all.push(m);
        return m;
      }),
    );
    const hashes = (r: { messages: { hash: string }[] }) => r.messages.map((m) => m.hash);
    const owner = msg(0).owner;
    const wide = { maxSize: 1e9 };
    expect(hashes(store.retrieve(owner, 1, undefined, now, wide))).toEqual(all.map((m) => m.hash));
    const from = all[RETRIEVE_PAGE - 10]!.hash;
    const r = store.retrieve(owner, 1, from, now, wide);
    expect(hashes(r)).toEqual(all.slice(RETRIEVE_PAGE - 9).map((m) => m.hash));
    expect(r.more).toBe(false);
    // An unknown last hash reads from the start; a count limit past a page boundary says `more`.
    const counted = store.retrieve(owner, 1, "nope", now, { maxCount: RETRIEVE_PAGE + 5, maxSize: 1e9 });
    expect(hashes(counted)).toEqual(all.slice(0, RETRIEVE_PAGE + 5).map((m) => m.hash));
    expect(counted.more).toBe(true);
    // A size limit: each message counts as its base64 plus its hash (40 + 43 bytes here).
    const sized = store.retrieve(owner, 1, undefined, now, { maxSize: 83 * 300 });
    expect(sized.messages).toHaveLength(300);
    expect(sized.more).toBe(true);
    close();
  });
});
