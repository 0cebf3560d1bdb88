import { ProtocolError } from "@session/protocol";
import { TokenBuckets } from "@session/service-kit";
import { describe, expect, it } from "vitest";
import { type StorageRpcTransport, storageRpcRoute } from "./storage-rpc-route.ts";

/** A request as a transport sees it: address, headers, body (undefined = not readable). */
interface FakeRequest {
  from?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Set once the route asked for the body. */
  bodyRead?: boolean;
}

let nextAddress = 0;
const transport: StorageRpcTransport<FakeRequest> = {
  // A fresh address per request unless one is given: only the rate-limit test shares one.
  remoteAddress: (r) => r.from ?? `10.1.0.${nextAddress++}`,
  header: (r, name) => r.headers?.[name],
  async body(r, maxBytes) {
    r.bodyRead = true;
    const bytes = new TextEncoder().encode(r.body ?? "");
    if (bytes.length > maxBytes) throw new ProtocolError("PAYLOAD_TOO_LARGE", "too large");
    return bytes;
  },
};

const setup = (burst = 100) => {
  const seen: unknown[] = [];
  const route = storageRpcRoute({
    rpc: {
      handle: async (body) => {
        seen.push(body);
        return { status: 200, body: { ok: true } };
      },
    },
    buckets: new TokenBuckets({ capacity: burst, refillPerSecond: 0.001 }),
    maxBodyBytes: 64,
  });
  return { route, seen };
};

describe("storageRpcRoute", () => {
  it("hands the parsed JSON to the RPC (a byte-order mark dropped)", async () => {
    const { route, seen } = setup();
    expect(route).toMatchObject({ method: "POST", path: "/storage_rpc/v1" });
    expect(await route.serve(transport, { body: '{"method":"info"}' })).toEqual({
      status: 200,
      body: { ok: true },
    });
    await route.serve(transport, { body: '\ufeff{"method":"x"}' });
    expect(seen).toEqual([{ method: "info" }, { method: "x" }]);
  });

  it("refuses as oxenss does, before reading a body it will not use", async () => {
    const { route, seen } = setup(1);
    const first: FakeRequest = { body: "{}", from: "10.0.0.9" };
    await route.serve(transport, first);
    const limited: FakeRequest = { body: "{}", from: "10.0.0.9" };
    expect(await route.serve(transport, limited)).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect(limited.bodyRead).toBeUndefined();

    const longPoll: FakeRequest = { headers: { "x-loki-long-poll": "1" }, body: "{}" };
    expect(await route.serve(transport, longPoll)).toMatchObject({ status: 410 });
    expect(longPoll.bodyRead).toBeUndefined();

    const declared: FakeRequest = { headers: { "content-length": "65" }, body: "{}" };
    expect(await route.serve(transport, declared)).toEqual({
      status: 413,
      body: "Request body too large",
      code: "PAYLOAD_TOO_LARGE",
    });
    expect(declared.bodyRead).toBeUndefined();
    // Streamed past the limit without a declared length.
    expect(await route.serve(transport, { body: `{"x":"${"a".repeat(64)}"}` })).toMatchObject({
      status: 413,
    });
    expect(await route.serve(transport, { body: "{not json" })).toEqual({
      status: 400,
      body: "invalid json",
      code: "INVALID_JSON",
    });
    expect(seen).toEqual([{}]);
  });

  it("lets a transport failure other than the size limit through (the transport answers 500)", async () => {
    const { route } = setup();
    const broken: StorageRpcTransport<FakeRequest> = {
      ...transport,
      body: async () => {
        throw new Error("socket reset");
      },
    };
    await expect(route.serve(broken, {})).rejects.toThrow("socket reset");
  });
});
