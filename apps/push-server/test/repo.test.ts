import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import {
  PgSubscriptionRepo,
  SqliteSubscriptionRepo,
  type Subscription,
  type SubscriptionRepo,
} from "../src/db/repo.ts";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const dir = mkdtempSync(join(tmpdir(), "push-repo-"));
const schema = `push_test_${process.pid}_${Date.now()}`;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const sql = postgres(PG_URL, { onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end();
});

const sub = (over: Partial<Subscription> = {}): Subscription => ({
  pubkey: `05${"ab".repeat(32)}`,
  sessionEd25519: "cd".repeat(32),
  subaccount: null,
  subaccountSig: null,
  namespaces: [-5, 0, 3],
  wantData: true,
  sigTs: 1_750_000_000,
  signature: "ef".repeat(64),
  service: "firebase",
  token: "t1",
  encKey: "01".repeat(32),
  updatedMs: 1_750_000_000_123,
  ...over,
});

const backends: [string, () => Promise<SubscriptionRepo>][] = [
  ["sqlite", async () => SqliteSubscriptionRepo.open(join(dir, "subs.sqlite"))],
  ["postgres", () => PgSubscriptionRepo.open(PG_URL, schema)],
];

describe.each(backends)("%s subscription repo", (_name, open) => {
  it("upserts, lists, removes by device and by token", async () => {
    const repo = await open();
    try {
      const a = sub();
      expect(await repo.upsert(a)).toBe(true);
      expect(await repo.upsert({ ...a, namespaces: [0], wantData: false, sigTs: 1_750_000_100 })).toBe(false);
      expect(await repo.forAccount(a.pubkey)).toEqual([
        { ...a, namespaces: [0], wantData: false, sigTs: 1_750_000_100 },
      ]);
      const other = `05${"12".repeat(32)}`;
      expect(await repo.upsert(sub({ token: "t2" }))).toBe(true);
      expect(await repo.upsert(sub({ pubkey: other, sessionEd25519: null, token: "t2" }))).toBe(true);
      expect((await repo.accounts()).sort()).toEqual([other, a.pubkey].sort());
      expect(await repo.remove(a.pubkey, "firebase", "t1")).toBe(true);
      expect(await repo.remove(a.pubkey, "firebase", "t1")).toBe(false);
      expect(await repo.removeToken("firebase", "t2")).toBe(2);
      expect(await repo.accounts()).toEqual([]);
      await repo.upsert(sub({ sigTs: 100 }));
      await repo.upsert(sub({ sigTs: 100, token: "t3" }));
      await repo.upsert(sub({ pubkey: other, sigTs: 200 }));
      expect(await repo.removeSignedBefore(150)).toEqual([a.pubkey]);
      expect(await repo.accounts()).toEqual([other]);
      expect(await repo.removeSignedBefore(200)).toEqual([other]);
    } finally {
      await repo.close();
    }
  });

  it("stores subaccount authentication", async () => {
    const repo = await open();
    try {
      const a = sub({ token: "sub-1", subaccount: "05".repeat(36), subaccountSig: "9a".repeat(64) });
      await repo.upsert(a);
      expect(await repo.forAccount(a.pubkey)).toEqual([a]);
      await repo.remove(a.pubkey, "firebase", "sub-1");
    } finally {
      await repo.close();
    }
  });
});

describe("sqlite subscription repo upgrade", () => {
  it("adds the subaccount columns to an existing table, keeping its rows", async () => {
    const path = join(dir, "old.sqlite");
    const old = new Database(path);
    old.exec(`CREATE TABLE subscriptions (id TEXT PRIMARY KEY, pubkey TEXT NOT NULL, session_ed25519 TEXT,
      namespaces TEXT NOT NULL, want_data BIGINT NOT NULL, sig_ts BIGINT NOT NULL, signature TEXT NOT NULL,
      service TEXT NOT NULL, token TEXT NOT NULL, enc_key TEXT NOT NULL, updated_ms BIGINT NOT NULL)`);
    const a = sub();
    old
      .prepare("INSERT INTO subscriptions VALUES (?, ?, ?, ?, 1, ?, ?, 'firebase', 't1', ?, ?)")
      .run(
        `${a.pubkey}:firebase:t1`,
        a.pubkey,
        a.sessionEd25519,
        "[-5,0,3]",
        a.sigTs,
        a.signature,
        a.encKey,
        a.updatedMs,
      );
    old.close();
    const repo = SqliteSubscriptionRepo.open(path);
    try {
      expect(await repo.forAccount(a.pubkey)).toEqual([a]);
      const b = sub({ token: "t2", subaccount: "03".repeat(36), subaccountSig: "11".repeat(64) });
      await repo.upsert(b);
      expect((await repo.forAccount(a.pubkey)).find((s) => s.token === "t2")).toEqual(b);
    } finally {
      await repo.close();
    }
  });
});
