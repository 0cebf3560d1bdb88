import { toHex } from "@session/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ed25519ToX25519, newEd25519Key, nodeVerifier } from "../../test/helpers/ed25519.ts";
import { codeOf } from "../../test/helpers/errors.ts";
import { authRequirementFor, verifyAuth } from "./auth.ts";
import { sigMessage } from "./sig-message.ts";
import { signRpcParams } from "./sign.ts";
import { SubaccountAccess } from "./subaccount-revocation.ts";
import { parseSubrequest, type RpcSubrequestMethod } from "./subrequest.ts";

const user = newEd25519Key();
const sessionId = `05${toHex(ed25519ToX25519(user.pub))}`;
const userSigner = { sign: user.sign, ed25519PubkeyHex: toHex(user.pub) };
const HASH = "A".repeat(43);
const T = 1_700_000_000_000;

const cases: [RpcSubrequestMethod, Record<string, unknown>][] = [
  ["store", { pubkey: sessionId, namespace: 2, timestamp: T, ttl: 1e6, data: "AAAA" }],
  ["retrieve", { pubkey: sessionId, namespace: 3, timestamp: T, last_hash: HASH }],
  ["retrieve", { pubkey: sessionId, timestamp: T }],
  ["delete", { pubkey: sessionId, messages: [HASH, HASH] }],
  ["delete_all", { pubkey: sessionId, namespace: "all", timestamp: T }],
  ["delete_before", { pubkey: sessionId, namespace: -10, before: T }],
  ["expire", { pubkey: sessionId, messages: [HASH], expiry: T, extend: true }],
  ["expire_all", { pubkey: sessionId, expiry: T }],
  ["get_expiries", { pubkey: sessionId, messages: [HASH], timestamp: T }],
  ["revoke_subaccount", { pubkey: sessionId, timestamp: T, revoke: toHex(new Uint8Array(36).fill(5)) }],
];

describe("signRpcParams", () => {
  it.each(cases)("%s: what the client signs is what the node verifies", (method, params) => {
    const signed = signRpcParams(method, params, userSigner);
    const need = authRequirementFor(parseSubrequest(method, signed))!;
    expect(() => verifyAuth(nodeVerifier, need)).not.toThrow();
    // changing any signed field breaks it
    const tampered = { ...signed, pubkey: `05${toHex(ed25519ToX25519(newEd25519Key().pub))}` };
    expect(
      codeOf(() => verifyAuth(nodeVerifier, authRequirementFor(parseSubrequest(method, tampered))!)),
    ).toBe("BAD_SIGNATURE");
  });

  it("leaves params needing no signature unchanged", () => {
    const p = { pubkey: sessionId, timestamp: T, ttl: 1e6, data: "" };
    expect(signRpcParams("store", p, userSigner)).toEqual(p);
  });

  it("signs with a subaccount key for a group", () => {
    const group = newEd25519Key();
    const member = newEd25519Key();
    const token = new Uint8Array([3, SubaccountAccess.Read, 0, 0, ...member.pub]);
    const signed = signRpcParams(
      "retrieve",
      { pubkey: `03${toHex(group.pub)}`, namespace: 11, timestamp: T },
      { sign: member.sign, subaccount: { token, signature: group.sign(token) } },
    );
    expect(() =>
      verifyAuth(nodeVerifier, authRequirementFor(parseSubrequest("retrieve", signed))!),
    ).not.toThrow();
  });

  it("timestamps and namespaces of every kind round-trip through sign → verify", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1e12, max: 4e12 }),
        fc.oneof(fc.integer({ min: -32768, max: 32767 }), fc.constant("all" as const)),
        (ts, ns) => {
          const signed = signRpcParams(
            "delete_all",
            { pubkey: sessionId, namespace: ns, timestamp: ts },
            userSigner,
          );
          expect(() =>
            verifyAuth(nodeVerifier, authRequirementFor(parseSubrequest("delete_all", signed))!),
          ).not.toThrow();
        },
      ),
      { numRuns: 30 },
    );
  });

  it("invalid params fail with the node's error", () => {
    expect(codeOf(() => signRpcParams("delete_all", { pubkey: "05zz", timestamp: T }, userSigner))).toBe(
      "INVALID_PUBKEY",
    );
  });
});

describe("sigMessage", () => {
  it("is the concatenation of each part's own bytes, text runs joined or not", () => {
    const enc = (x: string) => new TextEncoder().encode(x);
    const parts = ["store", 5, new Uint8Array([1, 2]), "a\ud800", "\udc00b", 17];
    const expected = [
      enc("store"),
      enc("5"),
      new Uint8Array([1, 2]),
      enc("a\ud800"),
      enc("\udc00b"),
      enc("17"),
    ];
    expect(Array.from(sigMessage(...parts))).toEqual(expected.flatMap((b) => Array.from(b)));
    expect(Array.from(sigMessage("retrieve", "", 1_765_000_000_000))).toEqual(
      Array.from(enc("retrieve1765000000000")),
    );
  });
});
