import { equalBytes } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import { authRequirementFor, parseRpcRequest, type RpcSubrequest } from "@session/protocol/rpc";
import { describe, expect, it } from "vitest";
import { newAccount, retrieveParams, storeParams } from "../../test/helpers/node-net.ts";
import { b64, groupAccount, makeSubaccount, sigB64 } from "../../test/helpers/subaccounts.ts";
import { requestVerifier } from "./node-crypto.ts";
import { TurnBatchedAuth } from "./turn-batched-auth.ts";

const NS1 = { namespace: 1 };
const requirement = (method: string, params: unknown) => {
  const r = authRequirementFor(parseRpcRequest({ method, params }) as RpcSubrequest);
  if (!r) throw new Error("no auth requirement");
  return r;
};

describe("TurnBatchedAuth", () => {
  it("checks a turn's requests together in its check phase, in arrival order, each with its own outcome", async () => {
    const calls: string[] = [];
    const counting = {
      verify: (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => {
        calls.push(new TextDecoder().decode(msg).slice(0, 5));
        return requestVerifier.verify(sig, msg, pk);
      },
      ed25519PubkeyToX25519: requestVerifier.ed25519PubkeyToX25519,
    };
    const auth = new TurnBatchedAuth(counting);
    const a = newAccount();
    const b = newAccount();
    const good = auth.verify(requirement("store", storeParams(a, "hi", Date.now(), NS1)));
    // b's signature over a's request: must fail alone.
    const forged = {
      ...storeParams(a, "x", Date.now(), NS1),
      signature: (storeParams(b, "x", Date.now(), NS1) as { signature: string }).signature,
    };
    const bad = auth.verify(requirement("store", forged));
    const read = auth.verify(requirement("retrieve", retrieveParams(b, NS1)));
    expect(calls).toEqual([]); // nothing is checked synchronously
    expect(auth.pending).toBe(3);
    const outcomes = await Promise.allSettled([good, bad, read]);
    expect(calls).toEqual(["store", "store", "retri"]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const err = (outcomes[1] as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe("BAD_SIGNATURE");
    expect(auth.pending).toBe(0);
  });

  it("refuses a revoked subaccount token through verifyAuth's check, and accepts it otherwise", async () => {
    const group = groupAccount();
    const sub = makeSubaccount(3, group.sk);
    const t = Date.now();
    const params = {
      pubkey: group.pk,
      namespace: 1,
      timestamp: t,
      signature: sigB64(sub.sub, `retrieve1${t}`),
      subaccount: b64(sub.token),
      subaccount_sig: b64(sub.sig),
    };
    const seen: string[] = [];
    const revokedAuth = new TurnBatchedAuth(requestVerifier, {
      isSubaccountRevoked: (pk, token) => {
        seen.push(pk.hex);
        return equalBytes(token, sub.token);
      },
    });
    await expect(revokedAuth.verify(requirement("retrieve", params))).rejects.toMatchObject({
      code: "SUBACCOUNT_REVOKED",
    });
    expect(seen).toEqual([group.pk]);
    const auth = new TurnBatchedAuth(requestVerifier, { isSubaccountRevoked: () => false });
    await expect(auth.verify(requirement("retrieve", params))).resolves.toBeUndefined();
  });

  it("batches of later turns are independent", async () => {
    const auth = new TurnBatchedAuth(requestVerifier);
    const a = newAccount();
    await auth.verify(requirement("store", storeParams(a, "1", Date.now(), NS1)));
    await expect(
      auth.verify(
        requirement("store", { ...storeParams(a, "2", Date.now(), NS1), signature: "A".repeat(86) + "==" }),
      ),
    ).rejects.toMatchObject({ code: "BAD_SIGNATURE" });
    await auth.verify(requirement("store", storeParams(a, "3", Date.now(), NS1)));
  });
});
