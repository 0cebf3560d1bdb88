import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keypairFromSeed, randomBytesArray, sign, toHex } from "@session/crypto";
import { createLogger } from "@session/service-kit";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import type { PushServer } from "../src/server.ts";
import { logOnlyPushApp, makeSubaccount, newAccount, subscribeBody, unsubscribeBody } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "push-sub-"));
const logger = createLogger({ name: "test", level: "silent" });
let repo: SqliteSubscriptionRepo;
let push: PushServer;
let n = 0;

beforeEach(() => {
  repo = SqliteSubscriptionRepo.open(join(dir, `db-${n++}.sqlite`));
  push = logOnlyPushApp(repo, logger);
  return () => {
    push.stop();
    void repo.close();
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const post = async (path: string, body: unknown) => {
  const res = await push.app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
};

describe("POST /subscribe", () => {
  it("adds, then renews, then unsubscribes", async () => {
    const acct = newAccount();
    expect(
      await post("/subscribe", subscribeBody(acct, { namespaces: [-10, 0, 5], data: true })),
    ).toMatchObject({
      success: true,
      added: true,
    });
    const stored = await repo.forAccount(acct.sessionId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      namespaces: [-10, 0, 5],
      wantData: true,
      service: "firebase",
      token: "device-token-1",
    });
    expect(await post("/subscribe", subscribeBody(acct, { namespaces: [0] }))).toMatchObject({
      success: true,
      updated: true,
    });
    expect((await repo.forAccount(acct.sessionId))[0]?.namespaces).toEqual([0]);
    // A second device is a second subscription.
    expect(await post("/subscribe", subscribeBody(acct, { token: "other" }))).toMatchObject({ added: true });
    expect(await repo.forAccount(acct.sessionId)).toHaveLength(2);

    expect(await post("/unsubscribe", unsubscribeBody(acct))).toMatchObject({ success: true, removed: true });
    expect(await post("/unsubscribe", unsubscribeBody(acct))).toMatchObject({
      success: true,
      removed: false,
    });
    expect((await repo.forAccount(acct.sessionId)).map((s) => s.token)).toEqual(["other"]);
  });

  it("accepts base64 fields and array requests, answering per entry", async () => {
    const acct = newAccount();
    const good = subscribeBody(acct);
    const b64 = {
      ...good,
      session_ed25519: Buffer.from(good.session_ed25519, "hex").toString("base64"),
      signature: Buffer.from(good.signature, "hex").toString("base64"),
      enc_key: Buffer.from(good.enc_key, "hex").toString("base64"),
    };
    const res = (await post("/subscribe", [
      b64,
      { ...good, signature: "00".repeat(64) },
    ])) as unknown as unknown[];
    expect(res).toHaveLength(2);
    expect(res[0]).toMatchObject({ success: true, added: true });
    expect(res[1]).toMatchObject({ error: 4 });
  });

  it("supports non-05 accounts signed by the account key itself", async () => {
    const k = keypairFromSeed(randomBytesArray(16));
    const pubkey = `03${toHex(k.ed25519.publicKey)}`;
    const sigTs = Math.floor(Date.now() / 1000);
    const sig = sign(new TextEncoder().encode(`MONITOR${pubkey}${sigTs}00`), k.ed25519.secretKey);
    const body = { ...subscribeBody(k), pubkey, sig_ts: sigTs, signature: toHex(sig) } as Record<
      string,
      unknown
    >;
    delete body.session_ed25519;
    expect(await post("/subscribe", body)).toMatchObject({ success: true, added: true });
    expect(await post("/subscribe", { ...body, session_ed25519: toHex(k.ed25519.publicKey) })).toMatchObject({
      error: 1,
    });
  });

  const now = Math.floor(Date.now() / 1000);
  const cases: [string, (b: Record<string, unknown>) => unknown, number, RegExp][] = [
    ["missing enc_key", ({ enc_key: _, ...b }) => b, 1, /Missing required parameter: enc_key/],
    ["missing data", ({ data: _, ...b }) => b, 1, /data/],
    ["bad pubkey", (b) => ({ ...b, pubkey: "05zz" }), 1, /pubkey must be 33 bytes/],
    ["short enc_key", (b) => ({ ...b, enc_key: "ab" }), 1, /enc_key must be 32 bytes/],
    ["empty namespaces", (b) => ({ ...b, namespaces: [] }), 1, /namespaces/],
    ["namespace out of range", (b) => ({ ...b, namespaces: [40000] }), 1, /namespaces/],
    ["missing token", (b) => ({ ...b, service_info: {} }), 1, /service_info.token/],
    ["control bytes in token", (b) => ({ ...b, service_info: { token: "a\u0000b" } }), 1, /printable ASCII/],
    [
      "short subaccount token",
      (b) => ({ ...b, subaccount: "aa", subaccount_sig: "11".repeat(64) }),
      1,
      /subaccount must be 36 bytes/,
    ],
    ["unknown service", (b) => ({ ...b, service: "pigeon" }), 2, /unknown service/],
    ["unconfigured service", (b) => ({ ...b, service: "apns" }), 2, /not available/],
    ["bad signature", (b) => ({ ...b, signature: "11".repeat(64) }), 4, /signature verification failed/],
    [
      "signature of other namespaces",
      (b) => ({ ...b, namespaces: [0, 1] }),
      4,
      /signature verification failed/,
    ],
    ["missing session_ed25519", ({ session_ed25519: _, ...b }) => b, 1, /session_ed25519 is required/],
  ];
  for (const [name, mutate, code, msg] of cases) {
    it(`refuses ${name} with error ${code}`, async () => {
      const acct = newAccount();
      const res = await post("/subscribe", mutate(subscribeBody(acct) as unknown as Record<string, unknown>));
      expect(res.error).toBe(code);
      expect(String(res.message)).toMatch(msg);
      expect(await repo.forAccount(acct.sessionId)).toHaveLength(0);
    });
  }

  it("refuses session_ed25519 of another account, stale, future and unsorted subscriptions", async () => {
    const a = newAccount();
    const b = newAccount();
    const other = { ...subscribeBody(a), session_ed25519: toHex(b.ed25519.publicKey) };
    expect(await post("/subscribe", other)).toMatchObject({ error: 4, message: /does not match/ });
    const old = subscribeBody(a, { sigTs: now - 14 * 86400 - 10 });
    expect(await post("/subscribe", old)).toMatchObject({ error: 4, message: /too old/ });
    expect(await post("/subscribe", subscribeBody(a, { sigTs: now - 13 * 86400 }))).toMatchObject({
      success: true,
    });
    const future = subscribeBody(a, { sigTs: now + 86400 + 10 });
    expect(await post("/subscribe", future)).toMatchObject({ error: 4, message: /future/ });
    expect(await post("/subscribe", subscribeBody(a, { namespaces: [2, 1] }))).toMatchObject({
      error: 4,
      message: /not sorted/,
    });
    expect(await post("/subscribe", subscribeBody(a, { namespaces: [1, 1] }))).toMatchObject({
      error: 4,
      message: /duplicates/,
    });
  });

  it("refuses malformed bodies", async () => {
    expect(await post("/subscribe", "{nope")).toMatchObject({ error: 1, message: "Invalid JSON" });
    expect(await post("/subscribe", "")).toMatchObject({ error: 1, message: /body missing/ });
    expect(await post("/subscribe", "42")).toMatchObject({ error: 1, message: /expected object/ });
    expect(await post("/subscribe", [])).toMatchObject({ error: 1 });
    expect(await post("/subscribe", "x".repeat(100_001))).toMatchObject({ error: 1, message: /too large/ });
  });
});

describe("expiry", () => {
  it("drops subscriptions once their signature is 14 days old", async () => {
    let clock = Date.now();
    const r = SqliteSubscriptionRepo.open(join(dir, `expiry-${n++}.sqlite`));
    const p = logOnlyPushApp(r, logger, {
      now: () => clock,
    });
    const acct = newAccount();
    const sigTs = Math.floor(clock / 1000);
    const res = await p.app.request("/subscribe", {
      method: "POST",
      body: JSON.stringify(subscribeBody(acct, { sigTs })),
    });
    expect(await res.json()).toMatchObject({ success: true });
    clock += 13 * 86_400_000;
    expect(await p.sweepExpired()).toBe(0);
    clock += 86_400_000;
    expect(await p.sweepExpired()).toBe(1);
    expect(await r.forAccount(acct.sessionId)).toHaveLength(0);
    p.stop();
    await r.close();
  });
});

describe("POST /unsubscribe", () => {
  it("checks signature and freshness", async () => {
    const acct = newAccount();
    await post("/subscribe", subscribeBody(acct));
    const now = Math.floor(Date.now() / 1000);
    expect(await post("/unsubscribe", unsubscribeBody(acct, { sigTs: now - 86400 - 10 }))).toMatchObject({
      error: 4,
      message: /too far from current time/,
    });
    expect(await post("/unsubscribe", unsubscribeBody(acct, { sigTs: now + 86400 + 10 }))).toMatchObject({
      error: 4,
    });
    const forged = { ...unsubscribeBody(acct), signature: unsubscribeBody(newAccount()).signature };
    expect(await post("/unsubscribe", forged)).toMatchObject({ error: 4, message: /signature/ });
    const { service_info: _, ...noToken } = unsubscribeBody(acct);
    expect(await post("/unsubscribe", noToken)).toMatchObject({ error: 1 });
    expect(await repo.forAccount(acct.sessionId)).toHaveLength(1);
    expect(await post("/unsubscribe", unsubscribeBody(acct))).toMatchObject({ removed: true });
  });
});

describe("subaccount subscriptions (spns verify_storage_signature)", () => {
  it("accepts a token with read permission signed by the account, stores it and unsubscribes with it", async () => {
    const acct = newAccount();
    const sub = makeSubaccount(acct);
    const body = subscribeBody(acct, { subaccount: sub, namespaces: [0, 2] });
    expect(await post("/subscribe", body)).toMatchObject({ success: true, added: true });
    const [stored] = await repo.forAccount(acct.sessionId);
    expect(stored).toMatchObject({ subaccount: toHex(sub.token), subaccountSig: toHex(sub.sig) });
    // base64 token and signature are the same subscription
    const b64 = {
      ...body,
      subaccount: Buffer.from(sub.token).toString("base64"),
      subaccount_sig: Buffer.from(sub.sig).toString("base64"),
    };
    expect(await post("/subscribe", b64)).toMatchObject({ success: true, updated: true });
    // "any prefix" tokens are accepted for a 05 account even with another prefix byte
    const any = makeSubaccount(acct, { prefix: 0x03, flags: 0x01 | 0x08 });
    expect(await post("/subscribe", subscribeBody(acct, { subaccount: any, token: "t2" }))).toMatchObject({
      success: true,
      added: true,
    });
    expect(await post("/unsubscribe", unsubscribeBody(acct, { subaccount: sub }))).toMatchObject({
      success: true,
      removed: true,
    });
  });

  it("refuses each bad token with spns's code and message", async () => {
    const acct = newAccount();
    const other = newAccount();
    const good = makeSubaccount(acct);
    const cases: [string, Record<string, unknown>, number, RegExp][] = [
      [
        "token signed by another key",
        subscribeBody(acct, {
          subaccount: makeSubaccount(acct, { signerSecretKey: other.ed25519.secretKey }),
        }),
        4,
        /Subaccount auth signature verification failed/,
      ],
      [
        "token without the read bit",
        subscribeBody(acct, { subaccount: makeSubaccount(acct, { flags: 0x02 | 0x04 }) }),
        4,
        /does not have read permission/,
      ],
      [
        "token for another network prefix",
        subscribeBody(acct, { subaccount: makeSubaccount(acct, { prefix: 0x03 }) }),
        4,
        /mismatched network prefix/,
      ],
      [
        "MONITOR signed by the account key instead of the subaccount",
        {
          ...subscribeBody(acct),
          subaccount: toHex(good.token),
          subaccount_sig: toHex(good.sig),
        },
        4,
        /Subaccount main signature verification failed/,
      ],
      [
        "MONITOR signed by another subaccount",
        { ...subscribeBody(acct, { subaccount: makeSubaccount(acct) }), subaccount: toHex(good.token) },
        4,
        /Subaccount (auth|main) signature verification failed/,
      ],
      [
        "token without its signature",
        (({ subaccount_sig: _, ...b }) => b)(subscribeBody(acct, { subaccount: good })),
        4,
        /without subaccount_sig/,
      ],
      [
        "short subaccount_sig",
        { ...subscribeBody(acct, { subaccount: good }), subaccount_sig: "ab" },
        1,
        /subaccount_sig must be 64 bytes/,
      ],
    ];
    for (const [name, body, code, msg] of cases) {
      const res = await post("/subscribe", body);
      expect(res, name).toMatchObject({ error: code });
      expect(String(res.message), name).toMatch(msg);
    }
    expect(await repo.forAccount(acct.sessionId)).toHaveLength(0);
    const noRead = makeSubaccount(acct, { flags: 0x02 });
    await post("/subscribe", subscribeBody(acct));
    expect(await post("/unsubscribe", unsubscribeBody(acct, { subaccount: noRead }))).toMatchObject({
      error: 4,
      message: /read permission/,
    });
    expect(await repo.forAccount(acct.sessionId)).toHaveLength(1);
  });
});
