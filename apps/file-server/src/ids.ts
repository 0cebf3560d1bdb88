import { randomBytes } from "node:crypto";
import { ProtocolError } from "@session/protocol";

/**
 * File ids are 33 random bytes in URL-safe base64: 44 characters from [A-Za-z0-9_-], the same
 * shape Session's file server hands out (doc/api.yaml), and 264 bits so they cannot be guessed.
 * They are random rather than a content hash so an id never reveals that two people uploaded
 * the same bytes.
 */
export const FILE_ID_BYTES = 33;
export const FILE_ID_PATTERN = /^[A-Za-z0-9_-]{44}$/;

export function newFileId(): string {
  return randomBytes(FILE_ID_BYTES).toString("base64url");
}

/** Returns the id if it has our id's shape; anything else is a 400 before any lookup. */
export function parseFileId(raw: string): string {
  if (!FILE_ID_PATTERN.test(raw)) {
    throw new ProtocolError("BAD_REQUEST", "invalid file id: expected 44 characters of [A-Za-z0-9_-]");
  }
  return raw;
}
