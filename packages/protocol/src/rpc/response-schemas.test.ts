import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../errors.ts";
import {
  batchResponseSchema,
  deleteAllResponseSchema,
  parseNodeResponse,
  retrieveResponseSchema,
  revokeSubaccountResponseSchema,
  storeResponseSchema,
  swarmInfoResponseSchema,
  unrevokeSubaccountResponseSchema,
} from "./response-schemas.ts";

const ED = "ab".repeat(32);
const ED2 = "cd".repeat(32);

describe("node response schemas", () => {
  it("store: per-member entries or failures, deprecated top-level hash", () => {
    const body = {
      swarm: { [ED]: { hash: "h", signature: "s", expiry: 5 }, [ED2]: { failed: true, timeout: true } },
      hash: "h",
      t: 1,
      hf: [19, 3],
    };
    expect(parseNodeResponse(storeResponseSchema, body)).toEqual(body);
  });
  it("retrieve uses `expiration`", () => {
    const body = {
      messages: [{ hash: "h", timestamp: 1, expiration: 2, data: "" }],
      more: false,
      t: 3,
      hf: [19, 0],
    };
    expect(parseNodeResponse(retrieveResponseSchema, body).messages[0]?.expiration).toBe(2);
  });
  it("delete_all: list or per-namespace dict", () => {
    expect(() =>
      parseNodeResponse(deleteAllResponseSchema, { swarm: { [ED]: { deleted: ["a"], signature: "s" } } }),
    ).not.toThrow();
    expect(() =>
      parseNodeResponse(deleteAllResponseSchema, {
        swarm: { [ED]: { deleted: { "0": ["a"], "-10": [] }, signature: "s" } },
      }),
    ).not.toThrow();
  });
  it("revoke_subaccount / unrevoke_subaccount: signature, and count for unrevoke", () => {
    const revoke = { swarm: { [ED]: { signature: "s" }, [ED2]: { failed: true, code: 503 } }, t: 1 };
    expect(parseNodeResponse(revokeSubaccountResponseSchema, revoke)).toEqual(revoke);
    const unrevoke = { swarm: { [ED]: { count: 2, signature: "s" } } };
    expect(parseNodeResponse(unrevokeSubaccountResponseSchema, unrevoke).swarm[ED]).toEqual({
      count: 2,
      signature: "s",
    });
    expect(() =>
      parseNodeResponse(unrevokeSubaccountResponseSchema, { swarm: { [ED]: { signature: "s" } } }),
    ).toThrow(ProtocolError);
    expect(() =>
      parseNodeResponse(revokeSubaccountResponseSchema, { swarm: { [ED]: { count: 1 } } }),
    ).toThrow(ProtocolError);
  });
  it("421 / get_swarm body", () => {
    const body = {
      snodes: [{ pubkey_ed25519: ED, pubkey_x25519: ED2, ip: "127.0.0.1", port_https: 22021, port: "22021" }],
      swarm: "ffffffffffffffff",
    };
    expect(parseNodeResponse(swarmInfoResponseSchema, body).snodes).toHaveLength(1);
  });
  it("malformed answers are BAD_GATEWAY", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (j) => {
        for (const s of [storeResponseSchema, retrieveResponseSchema, batchResponseSchema]) {
          try {
            parseNodeResponse(s, j);
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
            expect((e as ProtocolError).code).toBe("BAD_GATEWAY");
          }
        }
      }),
    );
  });
});
