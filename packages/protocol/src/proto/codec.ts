import protobuf from "protobufjs";
import { ProtocolError } from "../errors.ts";
import schema from "./schema.json" with { type: "json" };

/*
 * Reflection-based codec (no code generation). Decoded messages are plain objects: 64-bit
 * integers as JS numbers (ms timestamps fit in 2^53), bytes as Uint8Array, enums as numbers,
 * absent optionals left out.
 *
 * schema.json is a protobufjs JSON descriptor of the subset of Session's SignalService.proto
 * (session-desktop protos/SignalService.proto, package `signalservice`, proto2) that 1:1 messages
 * need, with that file's field numbers and types; messages we do not use are left out, and their
 * fields are kept as unknown when decoding. Every top-level message names `"edition": "proto2"`:
 * protobufjs reads a JSON type without one as proto3 (repeated numbers would be packed).
 */

// fromJSON also resolves types and field features (proto2 `required` needs both).
const root = protobuf.Root.fromJSON(schema);
const T = {
  Envelope: root.lookupType("signalservice.Envelope"),
  Content: root.lookupType("signalservice.Content"),
  DataMessage: root.lookupType("signalservice.DataMessage"),
  AttachmentPointer: root.lookupType("signalservice.AttachmentPointer"),
  ReceiptMessage: root.lookupType("signalservice.ReceiptMessage"),
  WebSocketMessage: root.lookupType("signalservice.WebSocketMessage"),
  WebSocketRequestMessage: root.lookupType("signalservice.WebSocketRequestMessage"),
};

export const EnvelopeType = { SESSION_MESSAGE: 6, CLOSED_GROUP_MESSAGE: 7 } as const;
export const ExpirationType = { UNKNOWN: 0, DELETE_AFTER_READ: 1, DELETE_AFTER_SEND: 2 } as const;
export const ReceiptType = { READ: 1 } as const;
export const DataMessageFlags = { EXPIRATION_TIMER_UPDATE: 2 } as const;
export const TypingAction = { STARTED: 0, STOPPED: 1 } as const;
export const DataExtractionType = { SCREENSHOT: 1, MEDIA_SAVED: 2 } as const;
export const WebSocketMessageType = { UNKNOWN: 0, REQUEST: 1, RESPONSE: 2 } as const;
export const AttachmentFlags = { VOICE_MESSAGE: 1 } as const;

export interface Envelope {
  type: number;
  source?: string;
  timestamp: number;
  content?: Uint8Array;
}

export interface AttachmentPointer {
  deprecated_id: number;
  contentType?: string;
  key?: Uint8Array;
  size?: number;
  digest?: Uint8Array;
  fileName?: string;
  flags?: number;
  width?: number;
  height?: number;
  caption?: string;
  url?: string;
}

export interface LokiProfile {
  displayName?: string;
  profilePicture?: string;
  lastProfileUpdateSeconds?: number;
}

/** Group control messages (DataMessage field 120, as in session-desktop's SignalService.proto). */
export interface GroupUpdateMessage {
  inviteMessage?: {
    groupSessionId: string;
    name: string;
    memberAuthData: Uint8Array;
    adminSignature: Uint8Array;
  };
  infoChangeMessage?: {
    type: number;
    updatedName?: string;
    updatedExpiration?: number;
    adminSignature: Uint8Array;
  };
  memberChangeMessage?: {
    type: number;
    memberSessionIds?: string[];
    historyShared?: boolean;
    adminSignature: Uint8Array;
  };
  promoteMessage?: { groupIdentitySeed: Uint8Array; name: string };
  memberLeftMessage?: Record<string, never>;
  inviteResponse?: { isApproved: boolean };
}
export const GroupInfoChangeType = { NAME: 1, AVATAR: 2, DISAPPEARING_MESSAGES: 3 } as const;
export const GroupMemberChangeType = { ADDED: 1, REMOVED: 2, PROMOTED: 3 } as const;

export interface DataMessage {
  body?: string;
  attachments?: AttachmentPointer[];
  flags?: number;
  profileKey?: Uint8Array;
  quote?: { id: number; author: string };
  preview?: { url: string; title?: string; image?: AttachmentPointer }[];
  reaction?: { id: number; author: string; emoji?: string; action: number };
  profile?: LokiProfile;
  openGroupInvitation?: { url: string; name: string };
  syncTarget?: string;
  blocksCommunityMessageRequests?: boolean;
  groupUpdateMessage?: GroupUpdateMessage;
}

export interface ReceiptMessage {
  type: number;
  timestamp?: number[];
}

export interface Content {
  dataMessage?: DataMessage;
  receiptMessage?: ReceiptMessage;
  typingMessage?: { timestamp: number; action: number };
  dataExtractionNotification?: { type: number; timestamp?: number };
  unsendMessage?: { timestamp: number; author: string };
  messageRequestResponse?: { isApproved: boolean; profileKey?: Uint8Array; profile?: LokiProfile };
  /** libsession's protobuf wrapper of user config messages (src/config/protos.cpp). */
  sharedConfigMessage?: SharedConfigMessage;
  expirationType?: number;
  expirationTimer?: number;
  sigTimestamp?: number;
}

export const SharedConfigKind = {
  USER_PROFILE: 1,
  CONTACTS: 2,
  CONVO_INFO_VOLATILE: 3,
  USER_GROUPS: 4,
} as const;

export interface SharedConfigMessage {
  kind: number;
  seqno: number;
  data: Uint8Array;
}

export interface WebSocketRequestMessage {
  verb?: string;
  path?: string;
  body?: Uint8Array;
  headers?: string[];
  id?: number;
}

export interface WebSocketMessage {
  type?: number;
  request?: WebSocketRequestMessage;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, bytes: Uint8Array as never };

/** Plain Uint8Array copies instead of Buffer views, and drop empty repeated fields. */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(normalise);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (Array.isArray(x) && x.length === 0) continue;
      out[k] = normalise(x);
    }
    return out;
  }
  return v;
}

function encodeWith(type: protobuf.Type, value: object, what: string): Uint8Array {
  const err = type.verify(value);
  if (err) throw new ProtocolError("PROTOBUF_INVALID", `${what}: ${err}`);
  try {
    // Copy into a plain Uint8Array (protobufjs hands out Buffer views on Node).
    return new Uint8Array(type.encode(type.fromObject(value)).finish());
  } catch (e) {
    throw new ProtocolError("PROTOBUF_INVALID", `${what}: ${(e as Error).message}`, undefined, { cause: e });
  }
}

function decodeWith<R>(type: protobuf.Type, bytes: Uint8Array, what: string): R {
  try {
    const msg = type.decode(bytes);
    return normalise(type.toObject(msg, TO_OBJECT)) as R;
  } catch (e) {
    throw new ProtocolError("PROTOBUF_INVALID", `${what}: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/** One message type's encoder and decoder; failures are PROTOBUF_INVALID naming the type. */
function messageCodec<M extends object>(type: protobuf.Type) {
  return {
    encode: (m: M): Uint8Array => encodeWith(type, m, type.name),
    decode: (bytes: Uint8Array): M => decodeWith<M>(type, bytes, type.name),
  };
}

export const { encode: encodeEnvelope, decode: decodeEnvelope } = messageCodec<Envelope>(T.Envelope);
export const { encode: encodeContent, decode: decodeContent } = messageCodec<Content>(T.Content);
export const { encode: encodeWebSocketMessage, decode: decodeWebSocketMessage } =
  messageCodec<WebSocketMessage>(T.WebSocketMessage);

/** Path and verb Session clients put on the wrapper (session-desktop MessageSender `wrapEnvelope`). */
export const STORAGE_WRAPPER_VERB = "PUT";
export const STORAGE_WRAPPER_PATH = "/api/v1/message";

/**
 * Wraps an envelope as Session clients store 1:1 messages: WebSocketMessage{type: REQUEST,
 * request: {id: 0, verb: "PUT", path: "/api/v1/message", body: Envelope bytes}}. The result is
 * what gets base64-encoded into `store`'s `data`.
 */
export function wrapForStorage(envelope: Envelope): Uint8Array {
  return encodeWebSocketMessage({
    type: WebSocketMessageType.REQUEST,
    request: {
      id: 0,
      verb: STORAGE_WRAPPER_VERB,
      path: STORAGE_WRAPPER_PATH,
      body: encodeEnvelope(envelope),
    },
  });
}

/** Inverse of wrapForStorage: PROTOBUF_INVALID unless it is a REQUEST wrapper around a valid Envelope. */
export function unwrapFromStorage(bytes: Uint8Array): Envelope {
  const ws = decodeWebSocketMessage(bytes);
  if (ws.type !== WebSocketMessageType.REQUEST || !ws.request?.body) {
    throw new ProtocolError("PROTOBUF_INVALID", "not a WebSocketMessage REQUEST with a body");
  }
  return decodeEnvelope(ws.request.body);
}
