import {
  decryptIncoming,
  encryptForRecipient,
  fromBase64,
  padMessage,
  toBase64,
  unpadMessage,
} from "@session/crypto";
import {
  type Content,
  decodeContent,
  EnvelopeType,
  ExpirationType,
  encodeContent,
  unwrapFromStorage,
  wrapForStorage,
} from "@session/protocol";

/** A Content as Session clients send it: the protobuf, padded (padMessage). */
export function padContent(content: Content): Uint8Array {
  return padMessage(encodeContent(content));
}

/** The Content in a padded plaintext; throws when it is none. */
export function unpadContent(padded: Uint8Array): Content {
  return decodeContent(unpadMessage(padded));
}

export interface IncomingMessage {
  hash: string;
  from: string;
  text: string | undefined;
  /** Sender's timestamp (ms). */
  timestamp: number;
  /** First message from a sender we have not talked to: a message request. */
  isRequest: boolean;
  /** Sent by another device of this account to this Session ID (a sync message). */
  syncTarget?: string;
  expiration?: { type: "after-send" | "after-read"; seconds: number };
  content: Content;
}

/** The bytes stored in the recipient's swarm: the storage wrapper around an encrypted envelope. */
export function sealMessage(
  senderEd25519SecretKey: Uint8Array,
  recipientSessionId: string,
  content: Content,
  timestamp: number,
): string {
  const ciphertext = encryptForRecipient(senderEd25519SecretKey, recipientSessionId, padContent(content));
  return toBase64(wrapForStorage({ type: EnvelopeType.SESSION_MESSAGE, timestamp, content: ciphertext }));
}

/** Opens a stored message; returns undefined for data that is not a 1:1 message for us. */
export function openMessage(
  recipientEd25519SecretKey: Uint8Array,
  dataB64: string,
): { from: string; content: Content; timestamp: number } | undefined {
  try {
    const envelope = unwrapFromStorage(fromBase64(dataB64));
    if (envelope.type !== EnvelopeType.SESSION_MESSAGE || !envelope.content) return undefined;
    const out = decryptIncoming(recipientEd25519SecretKey, envelope.content);
    return {
      from: out.senderSessionId,
      content: unpadContent(out.plaintext),
      timestamp: envelope.timestamp,
    };
  } catch {
    return undefined;
  }
}

export function expirationOf(content: Content): IncomingMessage["expiration"] {
  if (!content.expirationTimer) return undefined;
  if (content.expirationType === ExpirationType.DELETE_AFTER_READ) {
    return { type: "after-read", seconds: content.expirationTimer };
  }
  if (content.expirationType === ExpirationType.DELETE_AFTER_SEND) {
    return { type: "after-send", seconds: content.expirationTimer };
  }
  return undefined;
}
