import { isRetryable } from "@session/errors";
import { describe, expect, it } from "vitest";
import { PeerError } from "./peer-error.ts";

describe("PeerError", () => {
  it("is worth another attempt for a 5xx or a 421, not for any other refusal", () => {
    expect(PeerError.ofAnswer({ status: 200 })).toBeUndefined();
    const retried = [500, 502, 503, 504, 507, 421].map((status) => PeerError.ofAnswer({ status }));
    expect(retried.map((e) => [e?.code, e?.retryable])).toEqual(retried.map(() => ["PEER_REFUSED", true]));
    for (const status of [400, 401, 403, 404, 406, 413, 429]) {
      const e = PeerError.ofAnswer({ status })!;
      expect([e.status, e.retryable, isRetryable(e)]).toEqual([status, false, false]);
    }
  });

  it("tells a timeout from an unreachable peer, keeps the cause, and is always worth retrying", () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const t = PeerError.ofThrown(timeout);
    expect([t.code, t.retryable, t.cause]).toEqual(["PEER_TIMEOUT", true, timeout]);
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    const u = PeerError.ofThrown(refused);
    expect([u.code, u.retryable, u.cause]).toEqual(["PEER_UNREACHABLE", true, refused]);
    expect(u.message).toBe("peer unreachable: fetch failed");
    expect(PeerError.ofThrown(u)).toBe(u);
    expect(PeerError.ofThrown("a string").code).toBe("PEER_UNREACHABLE");
  });
});
