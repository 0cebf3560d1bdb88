import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ErrorCode, errorTable, fromZodError, ProtocolError, statusOf, toErrorBody } from "./errors.ts";

describe("errors", () => {
  it("every code has a table entry with an HTTP status", () => {
    for (const code of Object.values(ErrorCode)) {
      expect(errorTable[code].status).toBeGreaterThanOrEqual(400);
      expect(errorTable[code].status).toBeLessThan(600);
    }
  });
  it("uses the real storage server's statuses", () => {
    expect(errorTable.WRONG_SWARM.status).toBe(421);
    expect(errorTable.BAD_SIGNATURE.status).toBe(401);
    expect(errorTable.TIMESTAMP_OUT_OF_WINDOW.status).toBe(406);
    expect(errorTable.INVALID_TTL.status).toBe(403);
    expect(errorTable.PAYLOAD_TOO_LARGE.status).toBe(413);
    expect(errorTable.BAD_GATEWAY.status).toBe(502);
    expect(errorTable.GATEWAY_TIMEOUT.status).toBe(504);
  });
  it("ProtocolError carries code, status, message and details", () => {
    const e = new ProtocolError("RATE_LIMITED", undefined, { retryAfter: 3 });
    expect(e).toBeInstanceOf(Error);
    expect(e.status).toBe(429);
    expect(e.message).toBe(errorTable.RATE_LIMITED.message);
    expect(e.details).toEqual({ retryAfter: 3 });
    expect(toErrorBody(e)).toEqual({ error: { code: "RATE_LIMITED", message: e.message } });
  });
  it("unknown errors become INTERNAL without leaking their message", () => {
    expect(toErrorBody(new Error("db password is hunter2"))).toEqual({
      error: { code: "INTERNAL", message: errorTable.INTERNAL.message },
    });
    expect(statusOf("boom")).toBe(500);
  });
  it("fromZodError names the field and honours path codes and issue codes", () => {
    const r = z.object({ pubkey: z.string(), n: z.number() }).safeParse({ pubkey: 1, n: 1 });
    if (r.success) throw new Error("should fail");
    const e = fromZodError(r.error, "BAD_REQUEST", { pubkey: "INVALID_PUBKEY" });
    expect(e.code).toBe("INVALID_PUBKEY");
    expect(e.message).toMatch(/^pubkey:/);
    const s = z
      .string()
      .superRefine((_, ctx) =>
        ctx.addIssue({ code: "custom", message: "big", params: { errorCode: "PAYLOAD_TOO_LARGE" } }),
      )
      .safeParse("x");
    if (s.success) throw new Error("should fail");
    expect(fromZodError(s.error).code).toBe("PAYLOAD_TOO_LARGE");
  });
});
