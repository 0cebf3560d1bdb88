import type { StagedUpload } from "./staging.ts";

export interface BlobStream {
  size: number;
  stream: ReadableStream<Uint8Array>;
}

/**
 * Where file bytes live. `commit` makes a staged upload visible under `key` all at once (no
 * reader can ever see half a file); the caller inserts the metadata row only after it returns.
 */
export interface BlobStore {
  readonly kind: "disk" | "s3";
  commit(key: string, staged: StagedUpload): Promise<void>;
  /** The blob's bytes, or undefined if it does not exist. */
  open(key: string): Promise<BlobStream | undefined>;
  /** Deletes the blob; deleting a missing blob is not an error. */
  delete(key: string): Promise<void>;
}
