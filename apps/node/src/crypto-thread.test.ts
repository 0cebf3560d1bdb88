import { randomBytes } from "node:crypto";
import { fromHex, sign, toHex, x25519Keypair, x25519SharedSecret } from "@session/crypto";
import { authRequirementFor, parseRpcRequest, type RpcSubrequest } from "@session/protocol/rpc";
import { describe, expect, it } from "vitest";
import { threadStarter } from "../test/helpers/crypto-thread.ts";
import { newAccount, retrieveParams, storeParams } from "../test/helpers/node-net.ts";
import { b64, groupAccount, makeSubaccount, sigB64 } from "../test/helpers/subaccounts.ts";
import type { CryptoThread, SignatureCheck } from "./crypto-thread.ts";
import { requestVerifier } from "./rpc/node-crypto.ts";
import { TurnBatchedAuth } from "./rpc/turn-batched-auth.ts";

const NS1 = { namespace: 1 };
const requirement = (method: string, params: unknown) => {
  const r = authRequirementFor(parseRpcRequest({ method, params }) as RpcSubrequest);
  if (!r) throw new Error("no auth requirement");
  return r;
};
const started = threadStarter();

/** Requests covering every verifyAuth outcome: valid, forged, subaccount good/forged/revoked. */
function mixedRequests() {
  const a = newAccount();
  const b = newAccount();
  const group = groupAccount();
  const sub = makeSubaccount(3, group.sk);
  const revokedSub = makeSubaccount(3, group.sk);
  const t = Date.now();
  const viaSub = (s: typeof sub, overrides: Record<string, string> = {}) => ({
    pubkey: group.pk,
    namespace: 1,
    timestamp: t,
    signature: sigB64(s.sub, `retrieve1${t}`),
    subaccount: b64(s.token),
    subaccount_sig: b64(s.sig),
    ...overrides,
  });
  const forged = {
    ...storeParams(a, "x", t, NS1),
    signature: (storeParams(b, "x", t, NS1) as { signature: string }).signature,
  };
  const reqs = [
    requirement("store", storeParams(a, "hi", t, NS1)),
    requirement("store", forged),
    requirement("retrieve", retrieveParams(b, NS1)),
    requirement("retrieve", viaSub(sub)),
    requirement("retrieve", viaSub(sub, { subaccount_sig: b64(randomBytes(64)) })),
    requirement("retrieve", viaSub(sub, { signature: b64(randomBytes(64)) })),
    requirement("retrieve", viaSub(revokedSub)),
    requirement("store", { ...storeParams(a, "2", t, NS1), signature: `${"A".repeat(86)}==` }),
  ];
  const isSubaccountRevoked = (_pk: unknown, token: Uint8Array) =>
    Buffer.from(token).equals(revokedSub.token);
  return { reqs, isSubaccountRevoked };
}

/** The event loop's verifier, counting its signature checks. */
const countingVerifier = () => {
  const v = {
    calls: 0,
    verify: (...args: Parameters<typeof requestVerifier.verify>) => {
      v.calls++;
      return requestVerifier.verify(...args);
    },
    ed25519PubkeyToX25519: requestVerifier.ed25519PubkeyToX25519,
  };
  return v;
};

const outcome = (p: Promise<void>) =>
  p.then(
    () => "ok",
    (err: { code?: string; details?: unknown }) => `${err.code} ${JSON.stringify(err.details)}`,
  );

describe("CryptoThread", () => {
  it("answers each check as libsodium does on the event loop, malformed ones false", async () => {
    const thread = await started();
    const a = newAccount();
    const msg = new TextEncoder().encode("retrieve123");
    const sig = sign(msg, a.ed25519.secretKey);
    const other = new TextEncoder().encode("retrieve124");
    const checks: SignatureCheck[] = [
      { signature: sig, message: msg, publicKey: a.ed25519.publicKey },
      { signature: sig, message: other, publicKey: a.ed25519.publicKey },
      { signature: sig.subarray(0, 63), message: msg, publicKey: a.ed25519.publicKey },
      { signature: sig, message: msg, publicKey: a.ed25519.publicKey.subarray(0, 31) },
      { signature: sig, message: msg, publicKey: new Uint8Array(32) },
      { signature: sig, message: msg, publicKey: a.ed25519.publicKey },
    ];
    const expected = checks.map((c) => requestVerifier.verify(c.signature, c.message, c.publicKey));
    expect(expected).toEqual([true, false, false, false, false, true]);
    expect(await thread.verify(checks)).toEqual(expected);
  });
});

describe("CryptoThread.x25519", () => {
  it("gives x25519SharedSecret's secret for each key; null where it throws (low order, wrong length)", async () => {
    const thread = await started();
    const node = x25519Keypair();
    // Points of small order on Curve25519 and its twist: libsodium's result is all zero.
    const lowOrder = [
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ].map(fromHex);
    const keys = [
      x25519Keypair().publicKey,
      ...lowOrder,
      x25519Keypair().publicKey,
      x25519Keypair().publicKey.subarray(0, 31),
      randomBytes(32),
    ];
    const expected = keys.map((pk) => {
      try {
        return toHex(x25519SharedSecret(node.secretKey, pk));
      } catch {
        return null;
      }
    });
    expect(expected.map((e) => e !== null)).toEqual([true, false, false, false, false, true, false, true]);
    const got = await thread.x25519(node.secretKey, keys);
    expect(got.map((s) => (s ? toHex(s) : null))).toEqual(expected);
    // The secret key was copied into the batch, not taken from the caller.
    expect(node.secretKey.some((b) => b !== 0)).toBe(true);
    expect(await thread.x25519(node.secretKey, [])).toEqual([]);
  });
});

describe("TurnBatchedAuth on a thread", () => {
  it("gives every request the outcome and error the event loop gives, with no check on the event loop", async () => {
    const thread = await started();
    const { reqs, isSubaccountRevoked } = mixedRequests();
    const inline = new TurnBatchedAuth(requestVerifier, { isSubaccountRevoked });
    const expected = await Promise.all(reqs.map((r) => outcome(inline.verify(r))));
    expect(expected.filter((o) => o === "ok")).toHaveLength(3);

    const counting = countingVerifier();
    let batches = 0;
    const spy = Object.assign(Object.create(thread) as CryptoThread, {
      verify: (checks: readonly SignatureCheck[]) => {
        batches++;
        return thread.verify(checks);
      },
    });
    const threaded = new TurnBatchedAuth(counting, { isSubaccountRevoked, thread: spy, threadMinBatch: 1 });
    expect(await Promise.all(reqs.map((r) => outcome(threaded.verify(r))))).toEqual(expected);
    expect(batches).toBe(1);
    expect(counting.calls).toBe(0);
  });

  it("checks a turn smaller than threadMinBatch on the event loop", async () => {
    const thread = await started();
    let batches = 0;
    const spy = Object.assign(Object.create(thread) as CryptoThread, {
      verify: (checks: readonly SignatureCheck[]) => {
        batches++;
        return thread.verify(checks);
      },
    });
    const auth = new TurnBatchedAuth(requestVerifier, { thread: spy, threadMinBatch: 3 });
    const a = newAccount();
    await Promise.all(
      [1, 2].map((i) => auth.verify(requirement("store", storeParams(a, `${i}`, Date.now(), NS1)))),
    );
    expect(batches).toBe(0);
    await Promise.all(
      [1, 2, 3].map((i) => auth.verify(requirement("store", storeParams(a, `${i}`, Date.now(), NS1)))),
    );
    expect(batches).toBe(1);
  });

  it("falls back to the event loop when the thread dies with a batch in hand, and stays there", async () => {
    const thread = await started();
    const { reqs, isSubaccountRevoked } = mixedRequests();
    const expected = await Promise.all(
      reqs.map((r) => outcome(new TurnBatchedAuth(requestVerifier, { isSubaccountRevoked }).verify(r))),
    );
    let closed: Promise<void> | undefined;
    let sentAfterStop = false;
    const dying = Object.assign(Object.create(thread) as CryptoThread, {
      // The thread is told to stop just before the batch is posted: it never answers it.
      verify: (checks: readonly SignatureCheck[]) => {
        closed = thread.close();
        sentAfterStop = thread.usable;
        return thread.verify(checks);
      },
    });
    const counting = countingVerifier();
    const auth = new TurnBatchedAuth(counting, { isSubaccountRevoked, thread: dying, threadMinBatch: 1 });
    expect(await Promise.all(reqs.map((r) => outcome(auth.verify(r))))).toEqual(expected);
    expect(counting.calls).toBeGreaterThan(0);
    expect(sentAfterStop).toBe(true);
    await closed;
    expect(thread.usable).toBe(false);
    expect(thread.error?.message).toMatch(/exited/);
    await expect(thread.verify([])).rejects.toThrow(/exited/);
    expect(await Promise.all(reqs.map((r) => outcome(auth.verify(r))))).toEqual(expected);
  });
});
