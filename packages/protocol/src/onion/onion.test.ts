import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../test/helpers/errors.ts";
import { expectOnlyProtocolErrors } from "../../test/helpers/typed-errors.ts";
import { decodeOnionLayer, encodeOnionLayer } from "./layer.ts";
import { isOnionUrlTargetAllowed, parseEncType, parseOnionRouting } from "./routing.ts";
import { decodeV4Request, decodeV4Response, encodeV4Request, encodeV4Response } from "./v4.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const hex64 = "ab".repeat(32);

const jsonObject = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });

describe("onion layer", () => {
  it("has the [u32 LE N][N bytes][json] layout", () => {
    const out = encodeOnionLayer(new Uint8Array([9, 8, 7]), { headers: "" });
    expect([...out.subarray(0, 4)]).toEqual([3, 0, 0, 0]);
    expect([...out.subarray(4, 7)]).toEqual([9, 8, 7]);
    expect(dec(out.subarray(7))).toBe('{"headers":""}');
  });

  it("round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), jsonObject, (payload, json) => {
        const got = decodeOnionLayer(encodeOnionLayer(payload, json));
        expect(got.payload).toEqual(payload);
        expect(got.json).toEqual(JSON.parse(JSON.stringify(json)));
      }),
    );
  });

  it("rejects truncated, oversized and non-JSON layers with typed errors", () => {
    expect(codeOf(() => decodeOnionLayer(new Uint8Array([1, 0])))).toBe("ONION_BAD_LAYER");
    expect(codeOf(() => decodeOnionLayer(new Uint8Array([10, 0, 0, 0, 1, 2])))).toBe("ONION_BAD_LAYER");
    expect(codeOf(() => decodeOnionLayer(new Uint8Array([0, 0, 0, 0, ...enc("nope")])))).toBe(
      "ONION_BAD_LAYER",
    );
    expect(codeOf(() => decodeOnionLayer(new Uint8Array([0, 0, 0, 0, ...enc("[1]")])))).toBe(
      "ONION_BAD_LAYER",
    );
    expect(codeOf(() => decodeOnionLayer(new Uint8Array([0, 0, 0, 0, 0xff, 0xfe])))).toBe("ONION_BAD_LAYER");
    expect(codeOf(() => decodeOnionLayer(new Uint8Array(100), 50))).toBe("PAYLOAD_TOO_LARGE");
  });

  it("never throws an untyped error on random bytes", () => {
    expectOnlyProtocolErrors(fc.uint8Array({ maxLength: 80 }), decodeOnionLayer);
  });
});

describe("onion routing", () => {
  it("classifies final hop, server and node routes like oxenss", () => {
    expect(parseOnionRouting({ headers: "" })).toEqual({ kind: "final" });
    expect(parseOnionRouting({ headers: {}, json: true, base64: false })).toEqual({
      kind: "final",
      json: true,
      base64: false,
    });
    expect(
      parseOnionRouting({
        host: "files.example",
        target: "/oxen/v4/lsrpc",
        method: "POST",
        protocol: "http",
      }),
    ).toMatchObject({
      kind: "server",
      host: "files.example",
      port: 80,
      protocol: "http",
      enc_type: "aes-gcm",
    });
    expect(parseOnionRouting({ host: "h", target: "/loki/v3/lsrpc" })).toMatchObject({
      port: 443,
      protocol: "https",
    });
    expect(parseOnionRouting({ destination: hex64, ephemeral_key: hex64, enc_type: "xchacha20" })).toEqual({
      kind: "node",
      destination: hex64,
      ephemeral_key: hex64,
      enc_type: "xchacha20",
    });
  });

  it("accepts the enc_type aliases libsession accepts", () => {
    expect(parseEncType("xchacha20-poly1305")).toBe("xchacha20");
    expect(parseEncType("gcm")).toBe("aes-gcm");
    expect(codeOf(() => parseEncType("rot13"))).toBe("ONION_BAD_LAYER");
  });

  it("rejects bad routes with ONION_BAD_LAYER", () => {
    expect(codeOf(() => parseOnionRouting({ destination: "zz", ephemeral_key: hex64 }))).toBe(
      "ONION_BAD_LAYER",
    );
    expect(codeOf(() => parseOnionRouting({ host: "h" }))).toBe("ONION_BAD_LAYER");
    expect(codeOf(() => parseOnionRouting({ destination: hex64, ephemeral_key: hex64, enc_type: "x" }))).toBe(
      "ONION_BAD_LAYER",
    );
    expect(codeOf(() => parseOnionRouting(null))).toBe("ONION_BAD_LAYER");
  });

  it("never throws an untyped error on random JSON", () => {
    expectOnlyProtocolErrors(fc.jsonValue({ maxDepth: 3 }), parseOnionRouting);
  });

  it("allows only /loki|oxen/…/lsrpc targets without a query", () => {
    expect(isOnionUrlTargetAllowed("/oxen/v4/lsrpc")).toBe(true);
    expect(isOnionUrlTargetAllowed("/loki/v3/lsrpc")).toBe(true);
    expect(isOnionUrlTargetAllowed("/oxen/v4/lsrpc?x=1")).toBe(false);
    expect(isOnionUrlTargetAllowed("/file/123")).toBe(false);
  });
});

describe("v4 request/response", () => {
  it("frames as a bencoded list of JSON and body", () => {
    const req = encodeV4Request({ method: "GET", endpoint: "/file/1" });
    expect(dec(req)).toBe('l37:{"method":"GET","endpoint":"/file/1"}e');
    const res = encodeV4Response({ code: 200, headers: { "content-type": "text/plain" } }, enc("hi"));
    expect(dec(res)).toBe('l52:{"code":200,"headers":{"content-type":"text/plain"}}2:hie');
  });

  const headers = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });

  it("round-trips requests", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("GET", "POST", "PUT", "DELETE"),
        fc.string({ maxLength: 20 }).map((s) => `/${s}`),
        headers,
        fc.option(fc.uint8Array({ maxLength: 100 }), { nil: undefined }),
        (method, endpoint, h, body) => {
          const got = decodeV4Request(encodeV4Request({ method, endpoint, headers: h }, body));
          expect(got.info).toEqual({ method, endpoint, headers: h });
          expect(got.body).toEqual(body);
        },
      ),
    );
  });

  it("round-trips responses", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        headers,
        fc.option(fc.uint8Array({ maxLength: 100 }), { nil: undefined }),
        (code, h, body) => {
          const got = decodeV4Response(encodeV4Response({ code, headers: h }, body));
          expect(got.info).toEqual({ code, headers: h });
          expect(got.body).toEqual(body);
        },
      ),
    );
  });

  it("rejects malformed frames with typed errors", () => {
    expect(codeOf(() => decodeV4Request(enc("d1:ai1ee")))).toBe("BENCODE_INVALID");
    expect(codeOf(() => decodeV4Request(enc("l2:{}e")))).toBe("BAD_REQUEST");
    expect(codeOf(() => decodeV4Request(enc("l1:x1:ye")))).toBe("BAD_REQUEST");
    expect(codeOf(() => decodeV4Request(enc("l1:a1:b1:ce")))).toBe("BENCODE_INVALID");
    expect(codeOf(() => decodeV4Request(enc("l2:{}ex")))).toBe("BENCODE_INVALID");
    expect(codeOf(() => decodeV4Response(enc('l10:{"code":1}e')))).toBe("BAD_GATEWAY");
  });

  it("never throws an untyped error on random bytes", () => {
    expectOnlyProtocolErrors(fc.uint8Array({ maxLength: 60 }), decodeV4Request, decodeV4Response);
  });
});
