import { fromBase64, NAME_RECORD_BYTES, splitNameRecord, toHex } from "@session/crypto";
import { z } from "zod";
import type { NameResolver } from "../rpc/oxend.ts";

/** What `ons_resolve` answers for a registered name (hex, as oxend returns it). */
export interface OnsAnswer {
  encrypted_value: string;
  nonce: string;
}

const recordSchema = z.object({ encryptedRecord: z.string().regex(/^0x[0-9a-fA-F]*$/) });

/** A NameResolver whose answers always carry a nonce (the on-chain records are XChaCha20). */
export interface IndexerNameResolver extends NameResolver {
  resolve(nameHashBase64: string): Promise<OnsAnswer | null>;
}

/**
 * Answers `ons_resolve` from the chain through the sns-indexer (`GET /v1/names/0x<hash>`): the
 * on-chain record is already libsession's format (encrypted_value ‖ nonce), so it is only split.
 * The node never sees the name, only its hash. Unknown, expired or malformed records → null.
 */
export function indexerNameResolver(indexerUrl: string, fetchFn: typeof fetch = fetch): IndexerNameResolver {
  const base = indexerUrl.replace(/\/$/, "");
  return {
    async resolve(nameHashBase64) {
      let hash: Uint8Array;
      try {
        hash = fromBase64(nameHashBase64);
      } catch (cause) {
        throw new Error("name_hash must be base64", { cause });
      }
      if (hash.length !== 32) throw new Error("name_hash must be 32 bytes (base64 of BLAKE2b-256)");
      const res = await fetchFn(`${base}/v1/names/0x${toHex(hash)}`, { signal: AbortSignal.timeout(5000) });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`name lookup answered ${res.status}`);
      const { encryptedRecord } = recordSchema.parse(await res.json());
      const record = Buffer.from(encryptedRecord.slice(2), "hex");
      if (record.length !== NAME_RECORD_BYTES) return null;
      const { encryptedValue, nonce } = splitNameRecord(new Uint8Array(record));
      return { encrypted_value: toHex(encryptedValue), nonce: toHex(nonce) };
    },
  };
}
