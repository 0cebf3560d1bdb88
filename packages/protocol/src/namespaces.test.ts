import { describe, expect, it } from "vitest";
import {
  isNoAuthRetrieveNamespace,
  isPublicOutboxNamespace,
  isUnrevocableNamespace,
  isValidNamespace,
  maxTtlForNamespace,
  Namespace,
  namespaceAllowsUnauthenticatedStore,
  namespaceRequiresRetrieveAuth,
  TTL_MAXIMUM_MS,
  TTL_MAXIMUM_PRIVATE_MS,
} from "./namespaces.ts";

describe("namespaces (oxenss/common/namespace.h)", () => {
  it("public inboxes are the multiples of 10", () => {
    for (const ns of [0, -10, 60, -1230, 30000]) expect(namespaceAllowsUnauthenticatedStore(ns)).toBe(true);
    for (const ns of [1, 2, 3, 5, 11, 13, -11, -1])
      expect(namespaceAllowsUnauthenticatedStore(ns)).toBe(false);
  });
  it("retrieve needs auth except legacy closed groups and public outboxes", () => {
    expect(namespaceRequiresRetrieveAuth(Namespace.Default)).toBe(true);
    expect(namespaceRequiresRetrieveAuth(Namespace.LegacyClosedGroup)).toBe(false);
    expect(isNoAuthRetrieveNamespace(-21)).toBe(true);
    expect(namespaceRequiresRetrieveAuth(Namespace.GroupMessages)).toBe(true);
  });
  it("public outbox = -(20n+1); unrevocable = negative ending in 11", () => {
    expect([-1, -21, -981].every(isPublicOutboxNamespace)).toBe(true);
    expect([1, -11, -20, 21].some(isPublicOutboxNamespace)).toBe(false);
    expect([-11, -211, -12311].every(isUnrevocableNamespace)).toBe(true);
    expect([11, -12, -110, -1].some(isUnrevocableNamespace)).toBe(false);
  });
  it("int16 range", () => {
    expect(isValidNamespace(-32768)).toBe(true);
    expect(isValidNamespace(32767)).toBe(true);
    expect(isValidNamespace(32768)).toBe(false);
    expect(isValidNamespace(1.5)).toBe(false);
  });
  it("14 days for public inboxes, 30 days otherwise", () => {
    expect(maxTtlForNamespace(0)).toBe(TTL_MAXIMUM_MS);
    expect(TTL_MAXIMUM_MS).toBe(14 * 86400000);
    expect(maxTtlForNamespace(3)).toBe(TTL_MAXIMUM_PRIVATE_MS);
    expect(TTL_MAXIMUM_PRIVATE_MS).toBe(30 * 86400000);
  });
  it("Session's namespace numbers", () => {
    const N = Namespace;
    expect([N.Default, N.LegacyClosedGroup, N.RevokedRetrievableGroupMessages]).toEqual([0, -10, -11]);
    // libsession's config kinds in its order, then the group account's: consecutive numbers.
    expect([N.UserProfile, N.Contacts, N.ConvoInfoVolatile, N.UserGroups]).toEqual([2, 3, 4, 5]);
    expect([N.GroupMessages, N.GroupKeys, N.GroupInfo, N.GroupMembers]).toEqual([11, 12, 13, 14]);
  });
});
