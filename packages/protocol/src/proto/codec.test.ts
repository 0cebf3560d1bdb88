import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectOnlyProtocolErrors } from "../../test/helpers/typed-errors.ts";
import { ProtocolError } from "../errors.ts";
import {
  type Content,
  decodeContent,
  decodeEnvelope,
  decodeWebSocketMessage,
  EnvelopeType,
  ExpirationType,
  encodeContent,
  encodeEnvelope,
  unwrapFromStorage,
  wrapForStorage,
} from "./codec.ts";

describe("protobuf codec", () => {
  it("uses Session's field numbers (Envelope: type=1, timestamp=5, content=8)", () => {
    const bytes = encodeEnvelope({
      type: EnvelopeType.SESSION_MESSAGE,
      timestamp: 1,
      content: new Uint8Array([0xaa]),
    });
    // 08 06 | 28 01 | 42 01 aa
    expect([...bytes]).toEqual([0x08, 0x06, 0x28, 0x01, 0x42, 0x01, 0xaa]);
  });

  it("Content: dataMessage=1, expirationType=12, expirationTimer=13; DataMessage.body=1", () => {
    const bytes = encodeContent({
      dataMessage: { body: "hi" },
      expirationType: ExpirationType.DELETE_AFTER_SEND,
      expirationTimer: 60,
    });
    expect([...bytes]).toEqual([0x0a, 0x04, 0x0a, 0x02, 0x68, 0x69, 0x60, 0x02, 0x68, 0x3c]);
  });

  it("round-trips content with attachments, profile and receipts", () => {
    const c: Content = {
      dataMessage: {
        body: "hello",
        attachments: [
          {
            deprecated_id: 0,
            contentType: "image/png",
            key: new Uint8Array(64).fill(1),
            size: 1234,
            digest: new Uint8Array(32).fill(2),
            fileName: "a.png",
            url: "http://files.example/file/abc",
          },
        ],
        profile: { displayName: "Alice", profilePicture: "http://x/y", lastProfileUpdateSeconds: 1700000000 },
        profileKey: new Uint8Array(32).fill(9),
      },
      expirationType: ExpirationType.DELETE_AFTER_READ,
      expirationTimer: 3600,
    };
    expect(decodeContent(encodeContent(c))).toEqual(c);
    const r: Content = { receiptMessage: { type: 1, timestamp: [1700000000000, 1700000000001] } };
    expect(decodeContent(encodeContent(r))).toEqual(r);
  });

  it("property: envelopes round-trip", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(6, 7),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.option(fc.string({ maxLength: 66 }), { nil: undefined }),
        fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
        (type, timestamp, source, content) => {
          const e = {
            type,
            timestamp,
            ...(source !== undefined && { source }),
            ...(content !== undefined && { content }),
          };
          expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
          expect(unwrapFromStorage(wrapForStorage(e))).toEqual(e);
        },
      ),
    );
  });

  it("wrapForStorage uses the PUT /api/v1/message WebSocket request wrapper", () => {
    const ws = decodeWebSocketMessage(wrapForStorage({ type: 6, timestamp: 5 }));
    expect(ws.type).toBe(1);
    expect(ws.request?.verb).toBe("PUT");
    expect(ws.request?.path).toBe("/api/v1/message");
    expect(ws.request?.id).toBe(0);
  });

  it("missing required fields and malformed bytes → PROTOBUF_INVALID", () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        return (e as ProtocolError).code;
      }
      return "none";
    };
    expect(codeOf(() => decodeEnvelope(new Uint8Array([0x08, 0x06])))).toBe("PROTOBUF_INVALID");
    expect(codeOf(() => decodeContent(new Uint8Array([0x0a, 0x05, 0x01])))).toBe("PROTOBUF_INVALID");
    expect(codeOf(() => unwrapFromStorage(new Uint8Array([0x08, 0x02])))).toBe("PROTOBUF_INVALID");
    expect(codeOf(() => encodeEnvelope({ type: 6 } as never))).toBe("PROTOBUF_INVALID");
  });

  it("random bytes never cause an untyped throw", () => {
    expectOnlyProtocolErrors(
      fc.uint8Array({ maxLength: 64 }),
      decodeEnvelope,
      decodeContent,
      unwrapFromStorage,
    );
  });
});

describe("Session message shapes", () => {
  it("expiration timer update: DataMessage.flags = EXPIRATION_TIMER_UPDATE with Content timer fields", () => {
    const c = {
      dataMessage: { flags: 2 },
      expirationType: ExpirationType.DELETE_AFTER_SEND,
      expirationTimer: 86400,
      sigTimestamp: 1_700_000_000_000,
    };
    expect(decodeContent(encodeContent(c))).toEqual(c);
  });

  it("skips fields outside our subset (e.g. callMessage = 3) instead of failing", () => {
    // field 3, length-delimited, containing {type(1)=1, uuid(5)="u"}; then dataMessage {body "x"}
    const bytes = new Uint8Array([0x1a, 0x05, 0x08, 0x01, 0x2a, 0x01, 0x75, 0x0a, 0x03, 0x0a, 0x01, 0x78]);
    expect(decodeContent(bytes).dataMessage?.body).toBe("x");
  });
});

describe("real Session storage payload (oxenss unit_test/service_node.cpp message-hashing data)", () => {
  it("unwraps to a SESSION_MESSAGE envelope and re-wraps to the same bytes", async () => {
    const { fromBase64 } = await import("@session/crypto");
    const vectors = (await import("../../test/vectors/message-hash.json", { with: { type: "json" } }))
      .default;
    const bytes = fromBase64(vectors.reference.data_base64);
    const env = unwrapFromStorage(bytes);
    expect(env.type).toBe(EnvelopeType.SESSION_MESSAGE);
    expect(env.timestamp).toBeGreaterThan(1_600_000_000_000);
    expect(env.content?.length).toBeGreaterThan(0);
    const ws = decodeWebSocketMessage(bytes);
    expect(ws.request?.verb).toBe("PUT");
    expect(ws.request?.path).toBe("/api/v1/message");
    expect(wrapForStorage(env)).toEqual(bytes);
  });
});
