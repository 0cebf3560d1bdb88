import { describe, expect, it } from "vitest";
import { codeOf } from "../../test/helpers/errors.ts";
import { evaluateIfElseCondition } from "./ifelse.ts";
import { effectiveRetrieveLimits, RETRIEVE_MAX_SIZE } from "./limits.ts";
import { asciiSort, flattenByNamespace } from "./namespace-scoped.ts";
import { decodeSubaccountToken, SubaccountAccess, subaccountAllows } from "./subaccount-revocation.ts";

describe("effectiveRetrieveLimits (request_handler.cpp retrieve)", () => {
  it("defaults to 1/5 of the max when nothing is given; 0 means unspecified", () => {
    expect(effectiveRetrieveLimits(undefined, undefined)).toEqual({
      maxCount: undefined,
      maxSize: RETRIEVE_MAX_SIZE / 5,
    });
    expect(effectiveRetrieveLimits(0, 0)).toEqual({ maxCount: undefined, maxSize: RETRIEVE_MAX_SIZE / 5 });
  });
  it("negative sizes are fractions, positive sizes are capped, count alone keeps the full size", () => {
    expect(effectiveRetrieveLimits(undefined, -1).maxSize).toBe(RETRIEVE_MAX_SIZE);
    expect(effectiveRetrieveLimits(undefined, -3).maxSize).toBe(Math.trunc(RETRIEVE_MAX_SIZE / 3));
    expect(effectiveRetrieveLimits(undefined, 1000).maxSize).toBe(1000);
    expect(effectiveRetrieveLimits(undefined, 1e9).maxSize).toBe(RETRIEVE_MAX_SIZE);
    expect(effectiveRetrieveLimits(10, undefined)).toEqual({ maxCount: 10, maxSize: RETRIEVE_MAX_SIZE });
  });
});

describe("hash ordering", () => {
  it("sorts by ascii (byte) value, as std::sort on std::string", () => {
    expect(asciiSort(["b", "B", "a", "+", "/", "9"])).toEqual(["+", "/", "9", "B", "a", "b"]);
    expect(flattenByNamespace({ "0": ["c", "a"], "-10": ["b"] })).toEqual(["a", "b", "c"]);
  });
});

describe("ifelse conditions", () => {
  const state = {
    hf: [19, 3] as [number, number],
    version: [2, 10, 0] as [number, number, number],
    height: 1000,
  };
  it("ands every given key", () => {
    expect(evaluateIfElseCondition({ hfAtLeast: [19, 3] }, state)).toBe(true);
    expect(evaluateIfElseCondition({ hfAtLeast: [19, 4] }, state)).toBe(false);
    expect(evaluateIfElseCondition({ hfBefore: [20, 0], vAtLeast: [2, 9, 9] }, state)).toBe(true);
    expect(evaluateIfElseCondition({ heightAtLeast: 1000, heightBefore: 1000 }, state)).toBe(false);
    expect(evaluateIfElseCondition({ vBefore: [2, 10, 0] }, state)).toBe(false);
  });
});

describe("subaccount tokens", () => {
  it("splits prefix, flags and key; checks permission bits and prefix", () => {
    const key = new Uint8Array(32).fill(9);
    const t = decodeSubaccountToken(
      new Uint8Array([3, SubaccountAccess.Read | SubaccountAccess.Delete, 0, 0, ...key]),
    );
    expect(t).toEqual({ prefix: 3, flags: 5, pubkey: key });
    expect(subaccountAllows(t, 3, SubaccountAccess.Read)).toBe(true);
    expect(subaccountAllows(t, 3, SubaccountAccess.Write)).toBe(false);
    expect(subaccountAllows(t, 5, SubaccountAccess.Read)).toBe(false);
    expect(codeOf(() => decodeSubaccountToken(new Uint8Array(35)))).toBe("BAD_REQUEST");
  });
});
