/*
 * The SQLite part of a one-message retrieve, in a tight loop on a file database like a node's:
 * MessageStore.retrieve (one statement, a literal page LIMIT) beside the form it replaced (the
 * last hash's id first, then the rows with `LIMIT ?` bound per call, read with `.iterate()`).
 * A bound LIMIT made SQLite re-plan the statement on every call.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { MessageStore } from "../src/storage/store.ts";

const ACCOUNTS = 50;
const MESSAGES = 20_000;
const dir = mkdtempSync(join(tmpdir(), "retrieve-query-bench-"));
const path = join(dir, "storage.db");
const store = MessageStore.open(path);
const now = Date.now();
const owners = Array.from({ length: ACCOUNTS }, () => `05${randomBytes(32).toString("hex")}`);
const secondLast = new Map<string, string[]>();
store.storeMany(
  Array.from({ length: MESSAGES }, (_, i) => {
    const owner = owners[i % ACCOUNTS]!;
    const hash = randomBytes(32).toString("base64url").slice(0, 43);
    const seen = secondLast.get(owner) ?? [];
    secondLast.set(owner, [...seen.slice(-1), hash]);
    return { hash, owner, namespace: 0, timestamp: now, expiry: now + 86_400_000, data: randomBytes(1024) };
  }),
);

const db = new Database(path, { readonly: true });
const lastId = db.prepare("SELECT id FROM messages WHERE hash = ? AND owner = ? AND namespace = ?");
const boundLimit = db.prepare(
  "SELECT id, hash, owner, namespace, timestamp, expiry, data FROM messages WHERE owner = ? AND namespace = ? AND id > ? AND expiry > ? ORDER BY id LIMIT ?",
);

function perCall(fn: (i: number) => number): number {
  for (let i = 0; i < 2000; i++) fn(i);
  const n = 30_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (fn(i) !== 1) throw new Error("expected one message");
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

const ours = (i: number) => {
  const owner = owners[i % ACCOUNTS]!;
  return store.retrieve(owner, 0, secondLast.get(owner)![0], Date.now(), { maxSize: 7_800_000 }).messages
    .length;
};
const before = (i: number) => {
  const owner = owners[i % ACCOUNTS]!;
  const last = lastId.get(secondLast.get(owner)![0], owner, 0) as { id: number };
  let n = 0;
  for (const _ of boundLimit.iterate(owner, 0, last.id, Date.now(), 10_001)) n++;
  return n;
};

console.log(
  `one-message retrieve, SQLite part (${MESSAGES} messages of 1 KiB, ${ACCOUNTS} accounts), µs per call:`,
);
for (let round = 0; round < 3; round++) {
  console.log(
    `  MessageStore.retrieve ${perCall(ours).toFixed(1)} | before (two statements, LIMIT ?) ${perCall(before).toFixed(1)}`,
  );
}
db.close();
store.close();
rmSync(dir, { recursive: true, force: true });
