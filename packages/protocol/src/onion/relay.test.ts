import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../test/helpers/errors.ts";
import { expectOnlyProtocolErrors } from "../../test/helpers/typed-errors.ts";
import vectors from "../../test/vectors/onion.json" with { type: "json" };
import { bencode } from "../bencode.ts";
import {
  assertHopLimit,
  decodeFinalHopResponse,
  decodeRelayRequest,
  encodeFinalHopResponse,
  encodeRelayRequest,
  onionServerUrl,
  parseOnionServerDestination,
} from "./relay.ts";

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("node-to-node relay request", () => {
  it("is the bencoded dict oxenss encode_onion_data writes", () => {
    const bytes = encodeRelayRequest({
      data: new Uint8Array([1, 2]),
      encType: "xchacha20",
      ephemeralKey: new Uint8Array(32),
      hopNo: 2,
    });
    expect(dec(bytes.subarray(0, 51))).toBe("d4:data2:\u0001\u00028:enc_type9:xchacha2013:ephemeral_key32:");
    expect(dec(bytes.subarray(-12))).toBe("6:hop_noi2ee");
  });

  it("round-trips", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom("aes-gcm" as const, "xchacha20" as const),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 20 }),
        (data, encType, ephemeralKey, hopNo) => {
          expect(decodeRelayRequest(encodeRelayRequest({ data, encType, ephemeralKey, hopNo }))).toEqual({
            data,
            encType,
            ephemeralKey,
            hopNo,
          });
        },
      ),
    );
  });

  it("defaults like oxenss: aes-gcm, hop 1; requires data and a 32-byte key", () => {
    const r = decodeRelayRequest(bencode({ data: "x", ephemeral_key: new Uint8Array(32), hop_no: 0 }));
    expect(r.encType).toBe("aes-gcm");
    expect(r.hopNo).toBe(1);
    expect(codeOf(() => decodeRelayRequest(bencode({ ephemeral_key: new Uint8Array(32) })))).toBe(
      "ONION_BAD_LAYER",
    );
    expect(codeOf(() => decodeRelayRequest(bencode({ data: "x", ephemeral_key: new Uint8Array(31) })))).toBe(
      "ONION_BAD_LAYER",
    );
    expect(codeOf(() => decodeRelayRequest(bencode(["x"])))).toBe("ONION_BAD_LAYER");
    expect(codeOf(() => assertHopLimit(16))).toBe("ONION_HOP_LIMIT");
    expect(codeOf(() => assertHopLimit(15))).toBe("ok");
  });

  it("random bytes → ProtocolError only", () => {
    expectOnlyProtocolErrors(fc.uint8Array({ maxLength: 80 }), decodeRelayRequest);
  });
});

describe("final hop response", () => {
  it("double-encodes JSON by default, embeds with json: true (onion_processing.h)", () => {
    expect(encodeFinalHopResponse(200, { hi: "123" })).toBe('{"status":200,"body":"{\\"hi\\":\\"123\\"}"}');
    expect(encodeFinalHopResponse(200, { hi: "123" }, { embedJson: true })).toBe(
      '{"status":200,"body":{"hi":"123"}}',
    );
    expect(encodeFinalHopResponse(400, "Invalid json")).toBe('{"status":400,"body":"Invalid json"}');
  });

  it("client decoding recovers status and body either way", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.jsonValue({ maxDepth: 2 }),
        fc.boolean(),
        (status, body, embed) => {
          if (typeof body === "string") return;
          const got = decodeFinalHopResponse(encodeFinalHopResponse(status, body, { embedJson: embed }));
          expect(got.status).toBe(status);
          expect(got.body).toEqual(JSON.parse(JSON.stringify(body)));
        },
      ),
    );
    expect(decodeFinalHopResponse('{"status":400,"body":"Invalid json"}').body).toBe("Invalid json");
    expect(codeOf(() => decodeFinalHopResponse("nope"))).toBe("BAD_GATEWAY");
    expect(codeOf(() => decodeFinalHopResponse('{"body":1}'))).toBe("BAD_GATEWAY");
  });
});

describe("onionServerUrl", () => {
  it("omits default ports and refuses disallowed targets", () => {
    expect(onionServerUrl({ protocol: "https", host: "h", port: 443, target: "/oxen/v4/lsrpc" })).toBe(
      "https://h/oxen/v4/lsrpc",
    );
    expect(
      onionServerUrl({ protocol: "http", host: "127.0.0.1", port: 8080, target: "/oxen/v4/lsrpc" }),
    ).toBe("http://127.0.0.1:8080/oxen/v4/lsrpc");
    expect(codeOf(() => onionServerUrl({ protocol: "https", host: "h", port: 443, target: "/admin" }))).toBe(
      "ONION_TARGET_NOT_ALLOWED",
    );
  });
});

describe("parseOnionServerDestination", () => {
  const route = (
    host: string,
    target = "/oxen/v4/lsrpc",
    port = 443,
    protocol: "http" | "https" = "https",
  ) => ({
    protocol,
    host,
    port,
    target,
  });
  const refused = (r: ReturnType<typeof route>) => codeOf(() => parseOnionServerDestination(r));

  it("accepts the shapes Session clients send, oxenss's allowed targets among them", () => {
    for (const target of vectors.urlTargets.allowed) {
      expect(parseOnionServerDestination(route("filev2.getsession.org", target)).url).toBe(
        `https://filev2.getsession.org${target}`,
      );
    }
    expect(parseOnionServerDestination(route("Push.Example.ORG", "/loki/v3/lsrpc", 8443))).toMatchObject({
      host: "push.example.org",
      hostKind: "dns",
      port: 8443,
      path: "/loki/v3/lsrpc",
      url: "https://push.example.org:8443/loki/v3/lsrpc",
    });
    expect(parseOnionServerDestination(route("203.0.113.9", "/oxen/v4/lsrpc", 80, "http")).hostKind).toBe(
      "ipv4",
    );
    const v6 = parseOnionServerDestination(route("[2001:db8::1]"));
    expect(v6).toMatchObject({
      host: "2001:db8::1",
      hostKind: "ipv6",
      url: "https://[2001:db8::1]/oxen/v4/lsrpc",
    });
    expect(parseOnionServerDestination(route("2001:db8::1")).host).toBe("2001:db8::1");
  });

  it("refuses the path tricks that reached other paths on a string-joined URL", () => {
    for (const target of [
      "/oxen/../admin/secret#/lsrpc",
      "/oxen/../lsrpc",
      "/oxen/./v4/lsrpc/../lsrpc",
      "/oxen/%2e%2e/admin/lsrpc",
      "/oxen/v4/lsrpc#",
      "/oxen//lsrpc",
      "/oxen\\..\\admin/lsrpc",
      "/oxen/v4/lsrpc?x=1",
      "/oxen/a b/lsrpc",
      "/admin/lsrpc",
      ...vectors.urlTargets.refused,
    ]) {
      expect(refused(route("example.org", target)), target).toBe("ONION_TARGET_NOT_ALLOWED");
    }
  });

  it("refuses hosts that smuggle a port, path, query, credentials or a numeric IPv4 form", () => {
    for (const host of [
      "127.0.0.1:8080/any/path?x=1#",
      "example.org:8080",
      "example.org/admin",
      "example.org?x",
      "example.org#",
      "user@example.org",
      "example.org\\admin",
      "2130706433",
      "127.1",
      "0x7f.0.0.1",
      "0177.0.0.1",
      "a.0x7f",
      "[::1]:80",
      "[::1]/x",
      "exa mple.org",
      "-bad.org",
      "",
      `${"a".repeat(64)}.org`,
    ]) {
      expect(refused(route(host)), host).toBe("ONION_TARGET_NOT_ALLOWED");
    }
  });
});
