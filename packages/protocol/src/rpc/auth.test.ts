import { fromHex, toBase64, toHex } from "@session/crypto";
import { describe, expect, it } from "vitest";
import {
  ed25519KeyFromSeed,
  ed25519ToX25519,
  newEd25519Key,
  nodeVerifier,
} from "../../test/helpers/ed25519.ts";
import { codeOf } from "../../test/helpers/errors.ts";
import { authRequirementFor, verifyAuth } from "./auth.ts";
import { deleteAll } from "./namespace-scoped.ts";
import { parseRpcRequest } from "./request.ts";
import { retrieveSignatureMessage } from "./retrieve.ts";
import { storeSignatureMessage } from "./store.ts";
import { SubaccountAccess } from "./subaccount-revocation.ts";
import type { RpcSubrequest } from "./subrequest.ts";

const T = 1_700_000_000_000;

function sub(body: unknown): RpcSubrequest {
  const r = parseRpcRequest(body);
  if (r.method === "batch" || r.method === "sequence" || r.method === "ifelse") throw new Error("meta");
  return r;
}

describe("Ed25519 → X25519 (test helper) matches libsession's checked vector", () => {
  it("seed 0123…cdef gives Session ID 05d2ad…3a72", () => {
    const k = ed25519KeyFromSeed(fromHex(`0123456789abcdef0123456789abcdef${"00".repeat(16)}`));
    expect(toHex(k.pub)).toBe("4cb76fdc6d32278e3f83dbf608360ecc6b65727934b85d2fb86862ff98c46ab7");
    expect(toHex(ed25519ToX25519(k.pub))).toBe(
      "d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72",
    );
  });
});

describe("authRequirementFor + verifyAuth", () => {
  const group = newEd25519Key();
  const groupId = `03${toHex(group.pub)}`;

  it("accepts a correctly signed delete_all from a 03 group key and rejects a tampered one", () => {
    const sig = toBase64(group.sign(deleteAll.signatureMessage("all", T)));
    const req = sub({
      method: "delete_all",
      params: { pubkey: groupId, namespace: "all", timestamp: T, signature: sig },
    });
    const need = authRequirementFor(req)!;
    expect(() => verifyAuth(nodeVerifier, need)).not.toThrow();
    const bad = sub({
      method: "delete_all",
      params: { pubkey: groupId, namespace: "all", timestamp: T + 1, signature: sig },
    });
    expect(codeOf(() => verifyAuth(nodeVerifier, authRequirementFor(bad)!))).toBe("BAD_SIGNATURE");
  });

  it("05 Session IDs sign with pubkey_ed25519, which must convert to the X25519 id", () => {
    const user = newEd25519Key();
    const sessionId = `05${toHex(ed25519ToX25519(user.pub))}`;
    const sig = toBase64(user.sign(retrieveSignatureMessage(0, T)));
    const ok = sub({
      method: "retrieve",
      params: { pubkey: sessionId, timestamp: T, signature: sig, pubkey_ed25519: toHex(user.pub) },
    });
    expect(() => verifyAuth(nodeVerifier, authRequirementFor(ok)!)).not.toThrow();
    const other = newEd25519Key();
    const wrong = sub({
      method: "retrieve",
      params: {
        pubkey: sessionId,
        timestamp: T,
        signature: toBase64(other.sign(retrieveSignatureMessage(0, T))),
        pubkey_ed25519: toHex(other.pub),
      },
    });
    expect(codeOf(() => verifyAuth(nodeVerifier, authRequirementFor(wrong)!))).toBe("BAD_SIGNATURE");
  });

  it("no signature needed for public inbox stores and no-auth retrieves; required elsewhere", () => {
    const pk = `05${"ab".repeat(32)}`;
    expect(
      authRequirementFor(sub({ method: "store", params: { pubkey: pk, ttl: 1e6, timestamp: T, data: "" } })),
    ).toBeNull();
    expect(
      authRequirementFor(sub({ method: "retrieve", params: { pubkey: pk, namespace: -10 } })),
    ).toBeNull();
    expect(
      codeOf(() =>
        authRequirementFor(
          sub({ method: "store", params: { pubkey: pk, namespace: 3, ttl: 1e6, timestamp: T, data: "" } }),
        ),
      ),
    ).toBe("UNAUTHORIZED");
    expect(codeOf(() => authRequirementFor(sub({ method: "retrieve", params: { pubkey: pk } })))).toBe(
      "UNAUTHORIZED",
    );
  });

  describe("subaccounts", () => {
    const member = newEd25519Key();
    const token = (flags: number, prefix = 3) => new Uint8Array([prefix, flags, 0, 0, ...member.pub]);
    const storeReq = (tok: Uint8Array, tokSig = group.sign(tok)) =>
      sub({
        method: "store",
        params: {
          pubkey: groupId,
          namespace: 11,
          ttl: 1e6,
          timestamp: T,
          data: "",
          signature: toBase64(member.sign(storeSignatureMessage(11, T))),
          subaccount: toHex(tok),
          subaccount_sig: toBase64(tokSig),
        },
      });

    it("accepts a write-enabled token signed by the group key", () => {
      expect(() =>
        verifyAuth(
          nodeVerifier,
          authRequirementFor(storeReq(token(SubaccountAccess.Read | SubaccountAccess.Write)))!,
        ),
      ).not.toThrow();
    });
    it("rejects missing permission, wrong prefix, bad token signature, revoked token", () => {
      expect(
        codeOf(() => verifyAuth(nodeVerifier, authRequirementFor(storeReq(token(SubaccountAccess.Read)))!)),
      ).toBe("BAD_SIGNATURE");
      expect(
        codeOf(() =>
          verifyAuth(nodeVerifier, authRequirementFor(storeReq(token(SubaccountAccess.Write, 5)))!),
        ),
      ).toBe("BAD_SIGNATURE");
      const anyPrefix = token(SubaccountAccess.Write | SubaccountAccess.AnyPrefix, 5);
      expect(() => verifyAuth(nodeVerifier, authRequirementFor(storeReq(anyPrefix))!)).not.toThrow();
      const tok = token(SubaccountAccess.Write);
      expect(
        codeOf(() => verifyAuth(nodeVerifier, authRequirementFor(storeReq(tok, member.sign(tok)))!)),
      ).toBe("BAD_SIGNATURE");
      expect(
        codeOf(() =>
          verifyAuth(nodeVerifier, authRequirementFor(storeReq(tok))!, { isSubaccountRevoked: () => true }),
        ),
      ).toBe("SUBACCOUNT_REVOKED");
    });
    it("revoke_subaccount refuses subaccount auth by construction (account key only)", () => {
      const tok = token(SubaccountAccess.Write);
      const req = sub({
        method: "revoke_subaccount",
        params: {
          pubkey: groupId,
          timestamp: T,
          revoke: toHex(tok),
          signature: toBase64(new Uint8Array(64)),
        },
      });
      const need = authRequirementFor(req)!;
      expect(need.requiredAccess).toBeNull();
      expect(need.message.subarray(-36)).toEqual(fromHex(toHex(tok)));
    });
  });
});
