import { CryptoError } from "@session/crypto";
import { isRetryable, SessionError } from "@session/errors";
import { describe, expect, it } from "vitest";
import { ClientError } from "./errors.ts";

describe("ClientError", () => {
  it("decides retryable when it is built: a network code, unless the network refused the request (4xx)", () => {
    expect(new ClientError("REQUEST_FAILED", "x").retryable).toBe(true);
    expect(new ClientError("REQUEST_FAILED", "x", 502).retryable).toBe(true);
    expect(new ClientError("DESTINATION_UNREACHABLE", "x").retryable).toBe(true);
    expect(new ClientError("NOT_ENOUGH_NODES", "x").retryable).toBe(true);
    expect(new ClientError("NETWORK_UNAVAILABLE", "x").retryable).toBe(true);
    expect(new ClientError("REQUEST_FAILED", "x", 400).retryable).toBe(false);
    expect(new ClientError("REQUEST_FAILED", "x", 406).retryable).toBe(false);
    expect(new ClientError("BAD_RECIPIENT", "x").retryable).toBe(false);
    expect(new ClientError("NAME_NOT_FOUND", "x", 503).retryable).toBe(false);
    // An own data property, seen by spreading and logging like the code.
    expect({ ...new ClientError("REQUEST_FAILED", "x", 503) }).toMatchObject({
      code: "REQUEST_FAILED",
      status: 503,
      retryable: true,
    });
  });

  it("is a SessionError that keeps what it wraps", () => {
    const inner = new CryptoError("DECRYPT_FAILED", "bad tag");
    const e = new ClientError("NAME_NOT_FOUND", "does not decrypt", undefined, { cause: inner });
    expect(e).toBeInstanceOf(SessionError);
    expect(e.cause).toBe(inner);
    expect(inner).toBeInstanceOf(SessionError);
    expect([e.name, isRetryable(e), isRetryable(inner, true)]).toEqual(["ClientError", false, false]);
  });
});
