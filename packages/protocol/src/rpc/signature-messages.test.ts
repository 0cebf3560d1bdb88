import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deleteResponseSignatureMessage, deleteSignatureMessage } from "./delete.ts";
import { expireResponseSignatureMessage, expireSignatureMessage } from "./expire.ts";
import { getExpiriesSignatureMessage } from "./get-expiries.ts";
import {
  deleteAll,
  deleteAllResponseSignatureMessage,
  deleteBefore,
  deleteBeforeResponseSignatureMessage,
  expireAll,
  expireAllResponseSignatureMessage,
} from "./namespace-scoped.ts";
import { retrieveSignatureMessage } from "./retrieve.ts";
import { storeResponseSignatureMessage, storeSignatureMessage } from "./store.ts";
import {
  revokeSubaccountSignatureMessage,
  unrevokeSubaccountSignatureMessage,
} from "./subaccount-revocation.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const H1 = "A".repeat(43);
const H2 = "B".repeat(43);
const PK = `05${"11".repeat(32)}`;

// Expected strings written out from the doc comments in oxenss/rpc/client_rpc_endpoints.h and
// the verify_signature/create_signature calls in oxenss/rpc/request_handler.cpp.
describe("client signature messages", () => {
  it("store: 'store' ‖ ns ‖ sig_timestamp, ns empty for 0", () => {
    expect(text(storeSignatureMessage(0, 1700000000123))).toBe("store1700000000123");
    expect(text(storeSignatureMessage(3, 1700000000123))).toBe("store31700000000123");
    expect(text(storeSignatureMessage(-11, 1700000000123))).toBe("store-111700000000123");
  });
  it("retrieve", () => {
    expect(text(retrieveSignatureMessage(0, 1700000000000))).toBe("retrieve1700000000000");
    expect(text(retrieveSignatureMessage(-10, 1700000000000))).toBe("retrieve-101700000000000");
  });
  it("delete: hashes only, no timestamp", () => {
    expect(text(deleteSignatureMessage([H1, H2]))).toBe(`delete${H1}${H2}`);
  });
  it("delete_all / delete_before / expire_all with '', 'all' or the number", () => {
    expect(text(deleteAll.signatureMessage(0, 1700000000000))).toBe("delete_all1700000000000");
    expect(text(deleteAll.signatureMessage("all", 1700000000000))).toBe("delete_allall1700000000000");
    expect(text(deleteAll.signatureMessage(-42, 1700000000000))).toBe("delete_all-421700000000000");
    expect(text(deleteBefore.signatureMessage(5, 1700000000000))).toBe("delete_before51700000000000");
    expect(text(expireAll.signatureMessage("all", 1700000000000))).toBe("expire_allall1700000000000");
  });
  it("expire: mode ‖ expiry(ies) ‖ hashes", () => {
    expect(text(expireSignatureMessage({ expiry: 1700000000000, messages: [H1] }))).toBe(
      `expire1700000000000${H1}`,
    );
    expect(text(expireSignatureMessage({ shorten: true, expiry: 1700000000000, messages: [H1, H2] }))).toBe(
      `expireshorten1700000000000${H1}${H2}`,
    );
    expect(
      text(
        expireSignatureMessage({ extend: true, expiry: [1700000000001, 1700000000002], messages: [H1, H2] }),
      ),
    ).toBe(`expireextend17000000000011700000000002${H1}${H2}`);
  });
  it("get_expiries: timestamp then hashes", () => {
    expect(text(getExpiriesSignatureMessage(1700000000000, [H1, H2]))).toBe(
      `get_expiries1700000000000${H1}${H2}`,
    );
  });
  it("revoke/unrevoke: timestamp then raw token bytes", () => {
    const tok = new Uint8Array(36).fill(0xab);
    const m = revokeSubaccountSignatureMessage(1700000000000, [tok]);
    expect(text(m.subarray(0, 30))).toBe("revoke_subaccount1700000000000");
    expect(m.subarray(30)).toEqual(tok);
    expect(text(unrevokeSubaccountSignatureMessage(1, []))).toBe("unrevoke_subaccount1");
  });
});

describe("node response signature messages", () => {
  it("store signs the hash", () => {
    expect(text(storeResponseSignatureMessage(H1))).toBe(H1);
  });
  it("delete: pubkey ‖ requested ‖ deleted", () => {
    expect(text(deleteResponseSignatureMessage(PK, [H2, H1], [H1]))).toBe(`${PK}${H2}${H1}${H1}`);
  });
  it("delete_all / delete_before / expire_all: pubkey ‖ number ‖ hashes", () => {
    expect(text(deleteAllResponseSignatureMessage(PK, 5, [H1, H2]))).toBe(`${PK}5${H1}${H2}`);
    expect(text(deleteBeforeResponseSignatureMessage(PK, 6, []))).toBe(`${PK}6`);
    expect(text(expireAllResponseSignatureMessage(PK, 7, [H2]))).toBe(`${PK}7${H2}`);
  });
  it("expire: pubkey ‖ expiries ‖ requested ‖ updated ‖ sorted (hash ‖ expiry) of unchanged", () => {
    expect(text(expireResponseSignatureMessage(PK, [9], [H1, H2], [H1], { [H2]: 8, [H1]: 7 }))).toBe(
      `${PK}9${H1}${H2}${H1}${H1}7${H2}8`,
    );
  });
});

describe("determinism", () => {
  it("same inputs → same bytes; different timestamps → different bytes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -32768, max: 32767 }),
        fc.integer({ min: 1e12, max: 4e12 }),
        fc.integer({ min: 1e12, max: 4e12 }),
        (ns, t1, t2) => {
          expect(storeSignatureMessage(ns, t1)).toEqual(storeSignatureMessage(ns, t1));
          expect(retrieveSignatureMessage(ns, t1)).toEqual(retrieveSignatureMessage(ns, t1));
          if (t1 !== t2)
            expect(deleteAll.signatureMessage(ns, t1)).not.toEqual(deleteAll.signatureMessage(ns, t2));
        },
      ),
    );
  });
});
