import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectOnlyProtocolErrors } from "../../test/helpers/typed-errors.ts";
import vectors from "../../test/vectors/signalservice.json" with { type: "json" };
import { ProtocolError } from "../errors.ts";
import {
  AttachmentFlags,
  type AttachmentPointer,
  type Content,
  DataExtractionType,
  DataMessageFlags,
  decodeContent,
  decodeEnvelope,
  decodeWebSocketMessage,
  EnvelopeType,
  ExpirationType,
  encodeContent,
  encodeEnvelope,
  encodeWebSocketMessage,
  GroupInfoChangeType,
  GroupMemberChangeType,
  ReceiptType,
  SharedConfigKind,
  TypingAction,
  unwrapFromStorage,
  type WebSocketMessage,
  WebSocketMessageType,
  wrapForStorage,
} from "./codec.ts";
import schema from "./schema.json" with { type: "json" };

// Every field of the schema set once, with values that stand out on the wire.
const attachment: AttachmentPointer = {
  deprecated_id: 0x0102030405,
  contentType: "image/png",
  key: new Uint8Array([0x11, 0x11]),
  size: 300,
  digest: new Uint8Array([0x22, 0x22]),
  fileName: "a.png",
  flags: AttachmentFlags.VOICE_MESSAGE,
  width: 640,
  height: 480,
  caption: "cap",
  url: "http://f/x",
};
const profile = { displayName: "Al", profilePicture: "http://p", lastProfileUpdateSeconds: 1_700_000_000 };
const fullContent: Content = {
  dataMessage: {
    body: "hi",
    attachments: [attachment],
    flags: DataMessageFlags.EXPIRATION_TIMER_UPDATE,
    profileKey: new Uint8Array([0x33, 0x33]),
    quote: { id: 1_700_000_000_001, author: "05aa" },
    preview: [{ url: "http://l", title: "t", image: attachment }],
    reaction: { id: 7, author: "05bb", emoji: "👍", action: 1 },
    profile,
    openGroupInvitation: { url: "http://o/r", name: "room" },
    syncTarget: "05cc",
    blocksCommunityMessageRequests: true,
    groupUpdateMessage: {
      inviteMessage: {
        groupSessionId: "03dd",
        name: "g",
        memberAuthData: new Uint8Array([0x44, 0x44]),
        adminSignature: new Uint8Array([0x55, 0x55]),
      },
      infoChangeMessage: {
        type: GroupInfoChangeType.DISAPPEARING_MESSAGES,
        updatedName: "n",
        updatedExpiration: 60,
        adminSignature: new Uint8Array([0x66, 0x66]),
      },
      memberChangeMessage: {
        type: GroupMemberChangeType.REMOVED,
        memberSessionIds: ["05ee", "05ff"],
        historyShared: true,
        adminSignature: new Uint8Array([0x77, 0x77]),
      },
      promoteMessage: { groupIdentitySeed: new Uint8Array([0x88, 0x88]), name: "p" },
      memberLeftMessage: {},
      inviteResponse: { isApproved: true },
    },
  },
  receiptMessage: { type: ReceiptType.READ, timestamp: [1, 300] },
  typingMessage: { timestamp: 2, action: TypingAction.STOPPED },
  dataExtractionNotification: { type: DataExtractionType.MEDIA_SAVED, timestamp: 3 },
  unsendMessage: { timestamp: 4, author: "05ab" },
  messageRequestResponse: { isApproved: true, profileKey: new Uint8Array([0x99, 0x99]), profile },
  sharedConfigMessage: { kind: SharedConfigKind.USER_GROUPS, seqno: 5, data: new Uint8Array([0xaa, 0xaa]) },
  expirationType: ExpirationType.DELETE_AFTER_SEND,
  expirationTimer: 86400,
  sigTimestamp: 1_700_000_000_002,
};
const fullWebSocketMessage: WebSocketMessage = {
  type: WebSocketMessageType.RESPONSE,
  request: { verb: "GET", path: "/p", body: new Uint8Array([0xbb]), headers: ["a: b", "c: d"], id: 9 },
};
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("schema.json (SignalService.proto subset as a protobufjs descriptor)", () => {
  it("encodes every field as the .proto text it replaced did", () => {
    expect(hex(encodeContent(fullContent))).toBe(vectors.content);
    expect(decodeContent(encodeContent(fullContent))).toEqual(fullContent);
    expect(hex(encodeWebSocketMessage(fullWebSocketMessage))).toBe(vectors.webSocketMessage);
    expect(decodeWebSocketMessage(encodeWebSocketMessage(fullWebSocketMessage))).toEqual(
      fullWebSocketMessage,
    );
  });

  it("keeps proto2 semantics: required fields, unpacked repeated numbers", () => {
    const types = schema.nested.signalservice.nested;
    // protobufjs reads a JSON message without an edition as proto3.
    for (const [name, t] of Object.entries(types)) expect([name, t.edition]).toEqual([name, "proto2"]);
    // ReceiptMessage.timestamp (2, repeated uint64): one tag (0x10) per value, not one packed run (0x12).
    expect(hex(encodeContent({ receiptMessage: { type: 1, timestamp: [1, 2] } }))).toBe("2a06080110011002");
    expect(() => encodeContent({ sharedConfigMessage: { kind: 1, seqno: 1 } as never })).toThrow(
      ProtocolError,
    );
    expect(types.AttachmentPointer.fields.deprecated_id).toEqual({
      rule: "required",
      type: "fixed64",
      id: 1,
    });
    expect(types.DataMessage.fields.groupUpdateMessage).toEqual({ type: "GroupUpdateMessage", id: 120 });
  });
});

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
