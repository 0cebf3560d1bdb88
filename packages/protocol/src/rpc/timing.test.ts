import { toBase64 } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../test/helpers/errors.ts";
import type { ProtocolError } from "../errors.ts";
import { parseRpcRequest } from "./request.ts";
import type { RpcSubrequest } from "./subrequest.ts";
import { appliedExpiry, checkRequestTiming, checkSignatureTimestamp } from "./timing.ts";

const NOW = 1_700_000_000_000;
const PK = `05${"ab".repeat(32)}`;
const SIG = toBase64(new Uint8Array(64));
const HASH = "A".repeat(43);
const DAY = 86_400_000;

function sub(body: unknown): RpcSubrequest {
  return parseRpcRequest(body) as RpcSubrequest;
}
const store = (extra: Record<string, unknown>) =>
  sub({ method: "store", params: { pubkey: PK, timestamp: NOW, ttl: DAY, data: "", ...extra } });

describe("checkRequestTiming", () => {
  it("store TTL: 10 s .. 14 days public, 30 days private", () => {
    expect(codeOf(() => checkRequestTiming(store({ ttl: 10_000 }), NOW))).toBe("ok");
    expect(codeOf(() => checkRequestTiming(store({ ttl: 9_999 }), NOW))).toBe("INVALID_TTL");
    expect(codeOf(() => checkRequestTiming(store({ ttl: 14 * DAY }), NOW))).toBe("ok");
    expect(codeOf(() => checkRequestTiming(store({ ttl: 14 * DAY + 1 }), NOW))).toBe("INVALID_TTL");
    const priv = store({ namespace: 3, ttl: 30 * DAY, signature: SIG, sig_timestamp: NOW });
    expect(codeOf(() => checkRequestTiming(priv, NOW))).toBe("ok");
    const tooLong = store({ namespace: 3, ttl: 30 * DAY + 1, signature: SIG, sig_timestamp: NOW });
    expect(codeOf(() => checkRequestTiming(tooLong, NOW))).toBe("INVALID_TTL");
  });

  it("store clock: timestamp ≤ now+10 s, expiry ≥ now−10 s, sig_timestamp ±60 s", () => {
    expect(codeOf(() => checkRequestTiming(store({ timestamp: NOW + 10_001 }), NOW))).toBe(
      "TIMESTAMP_OUT_OF_WINDOW",
    );
    expect(codeOf(() => checkRequestTiming(store({ timestamp: NOW + 10_000 }), NOW))).toBe("ok");
    expect(codeOf(() => checkRequestTiming(store({ timestamp: NOW - DAY - 10_001 }), NOW))).toBe(
      "TIMESTAMP_OUT_OF_WINDOW",
    );
    const s = (ts: number) => store({ namespace: 3, signature: SIG, sig_timestamp: ts });
    expect(codeOf(() => checkRequestTiming(s(NOW - 60_000), NOW))).toBe("ok");
    expect(codeOf(() => checkRequestTiming(s(NOW - 60_001), NOW))).toBe("TIMESTAMP_OUT_OF_WINDOW");
  });

  it("signed timestamps: ±60 s, ±70 s when forwarded", () => {
    const da = (ts: number) =>
      sub({ method: "delete_all", params: { pubkey: PK, timestamp: ts, signature: SIG } });
    expect(codeOf(() => checkRequestTiming(da(NOW + 60_000), NOW))).toBe("ok");
    expect(codeOf(() => checkRequestTiming(da(NOW + 65_000), NOW))).toBe("TIMESTAMP_OUT_OF_WINDOW");
    expect(codeOf(() => checkRequestTiming(da(NOW + 65_000), NOW, { forwarded: true }))).toBe("ok");
    const r = sub({ method: "retrieve", params: { pubkey: PK, timestamp: NOW - 61_000, signature: SIG } });
    expect(codeOf(() => checkRequestTiming(r, NOW))).toBe("TIMESTAMP_OUT_OF_WINDOW");
  });

  it("delete_before, expire_all and expire bounds", () => {
    const db = (b: number) =>
      sub({ method: "delete_before", params: { pubkey: PK, before: b, signature: SIG } });
    expect(codeOf(() => checkRequestTiming(db(NOW + 60_000), NOW))).toBe("ok");
    // oxenss request_handler.cpp answers these two http::UNAUTHORIZED (401).
    expect(codeOf(() => checkRequestTiming(db(NOW + 60_001), NOW))).toBe("UNAUTHORIZED");
    const ea = (e: number) =>
      sub({ method: "expire_all", params: { pubkey: PK, expiry: e, signature: SIG } });
    expect(codeOf(() => checkRequestTiming(ea(NOW - 60_001), NOW))).toBe("TIMESTAMP_OUT_OF_WINDOW");
    const ex = (e: number[]) =>
      sub({
        method: "expire",
        params: { pubkey: PK, messages: e.map(() => HASH), expiry: e, signature: SIG },
      });
    expect(codeOf(() => checkRequestTiming(ex([NOW + DAY, NOW - 60_001]), NOW))).toBe("UNAUTHORIZED");
    expect(codeOf(() => checkRequestTiming(ex([NOW - 60_000]), NOW))).toBe("ok");
  });

  it("appliedExpiry caps at now + 30 days; checkSignatureTimestamp names the method", () => {
    expect(appliedExpiry(NOW + 40 * DAY, NOW)).toBe(NOW + 30 * DAY);
    expect(appliedExpiry(NOW + DAY, NOW)).toBe(NOW + DAY);
    try {
      checkSignatureTimestamp(0, NOW, "get_expiries");
    } catch (e) {
      expect((e as ProtocolError).message).toMatch(/get_expiries/);
      expect((e as ProtocolError).status).toBe(406);
    }
  });
});
