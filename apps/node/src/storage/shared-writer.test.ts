import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SharedWriter } from "./shared-writer.ts";
import { MessageStore } from "./store.ts";
import { TEST_NOW, testMessage } from "./test-messages.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** The owner's database (migrated, WAL), a worker's writer on it, and a plain connection beside. */
function open(opts: { lockWaitMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "shared-writer-"));
  const path = join(dir, "storage.db");
  const owner = MessageStore.open(path);
  const writer = SharedWriter.open(path, opts);
  const other = new Database(path);
  cleanups.push(() => {
    other.close();
    writer.close();
    owner.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const rows = () =>
    other.prepare("SELECT hash, expiry FROM messages ORDER BY id").all() as {
      hash: string;
      expiry: number;
    }[];
  return { owner, writer, other, rows, path };
}

const now = TEST_NOW;
const msg = testMessage;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SharedWriter", () => {
  it("commits the writes of one turn in one transaction, and resolves them only then", async () => {
    const { writer, rows } = open();
    const written = [writer.write(msg(1), now), writer.write(msg(2), now)];
    expect(rows()).toEqual([]); // nothing before the turn ends
    expect(await Promise.all(written)).toEqual([
      { isNew: true, expiry: now + 60_000 },
      { isNew: true, expiry: now + 60_000 },
    ]);
    expect(rows().map((r) => r.hash)).toEqual([msg(1).hash, msg(2).hash]);
  });

  it("reports a duplicate with the later of the two expiries, which it keeps", async () => {
    const { writer, rows } = open();
    await writer.write(msg(1, { expiry: now + 90_000 }), now);
    expect(await writer.write(msg(1), now)).toEqual({ isNew: false, expiry: now + 90_000 });
    expect(await writer.write(msg(1, { expiry: now + 120_000 }), now)).toEqual({
      isNew: false,
      expiry: now + 120_000,
    });
    expect(rows()).toEqual([{ hash: msg(1).hash, expiry: now + 120_000 }]);
  });

  it("keeps one message in a public outbox namespace", async () => {
    const { writer, rows } = open();
    await writer.write(msg(1, { namespace: -10 }), now, { onlyMessageInNamespace: true });
    await writer.write(msg(2, { namespace: -10 }), now, { onlyMessageInNamespace: true });
    expect(rows().map((r) => r.hash)).toEqual([msg(2).hash]);
  });

  it("waits for another process's write lock without stopping the event loop, then commits", async () => {
    const { writer, other, rows } = open();
    other.exec("BEGIN IMMEDIATE"); // another writer holds the lock
    let resolved = false;
    const first = writer.write(msg(1), now).then((o) => {
      resolved = true;
      return o;
    });
    // Timers run meanwhile: SQLite's busy handler would have slept on this thread instead.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    await sleep(40);
    expect(resolved).toBe(false);
    expect(ticks).toBeGreaterThan(5);
    // A store that arrives while the batch waits commits with it.
    const second = writer.write(msg(2), now);
    other.exec("COMMIT");
    expect(await first).toEqual({ isNew: true, expiry: now + 60_000 });
    expect(await second).toEqual({ isNew: true, expiry: now + 60_000 });
    clearInterval(ticker);
    expect(rows().map((r) => r.hash)).toEqual([msg(1).hash, msg(2).hash]);
  });

  it("fails the batch when the lock stays taken past its wait, and writes on once it is free", async () => {
    const { writer, other, rows } = open({ lockWaitMs: 50 });
    other.exec("BEGIN IMMEDIATE");
    await expect(writer.write(msg(1), now)).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    other.exec("COMMIT");
    expect(rows()).toEqual([]);
    await writer.write(msg(2), now);
    expect(rows().map((r) => r.hash)).toEqual([msg(2).hash]);
  });

  it("writes on once a process that died holding the lock mid-transaction is gone, without its rows", async () => {
    const { writer, rows, path } = open();
    // Another process takes the lock, inserts, and is killed before it commits.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require("better-sqlite3"))(${JSON.stringify(path)});
         db.exec("BEGIN IMMEDIATE");
         db.prepare("INSERT INTO messages (hash, owner, namespace, timestamp, expiry, data) VALUES ('uncommitted', 'x', 0, 0, ${now + 60_000}, x'00')").run();
         process.stdout.write("holding");
         setInterval(() => {}, 1000);`,
      ],
      { cwd: import.meta.dirname, stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    const queued = writer.write(msg(1), now);
    await sleep(30);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    await expect(queued).resolves.toEqual({ isNew: true, expiry: now + 60_000 });
    expect(rows().map((r) => r.hash)).toEqual([msg(1).hash]);
  });

  it("interleaves with the owner's own group commit on the same database", async () => {
    const { owner, writer, rows } = open();
    owner.storeInBatch(msg(1));
    const fromWorker = writer.write(msg(2), now);
    await owner.durable();
    await fromWorker;
    expect(
      rows()
        .map((r) => r.hash)
        .sort(),
    ).toEqual([msg(1).hash, msg(2).hash]);
    // The owner reads what the worker committed.
    expect(owner.get(msg(2).hash, now)?.hash).toBe(msg(2).hash);
  });

  it("commits a batch still waiting for the lock when closed once the lock is free", async () => {
    const { writer, other, rows } = open();
    other.exec("BEGIN IMMEDIATE");
    const queued = writer.write(msg(1), now);
    await sleep(20); // now waiting on a timer between tries
    other.exec("COMMIT");
    writer.close();
    await expect(queued).resolves.toEqual({ isNew: true, expiry: now + 60_000 });
    expect(rows().map((r) => r.hash)).toEqual([msg(1).hash]);
    await sleep(20); // the cleared timer does not fire into the closed connection
  });

  it("commits what is queued when closed, and refuses writes after", async () => {
    const { writer, rows } = open();
    const queued = writer.write(msg(1), now);
    writer.close();
    await expect(queued).resolves.toEqual({ isNew: true, expiry: now + 60_000 });
    expect(rows().map((r) => r.hash)).toEqual([msg(1).hash]);
    await expect(writer.write(msg(2), now)).rejects.toThrow(/closed/);
  });
});
