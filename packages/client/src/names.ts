import { decryptNameRecord, fromHex, nameHashHex, normalizeName } from "@session/crypto";
import { z } from "zod";
import { ClientError } from "./errors.ts";

const recordSchema = z.object({
  length: z.number().int(),
  encryptedRecord: z.string().regex(/^0x[0-9a-fA-F]*$/),
});

/**
 * Name resolution through an sns-indexer: looks the name's hash up, checks the registration's
 * declared length against the name (a mis-declared registration is not trusted), and decrypts
 * the record with the name itself. Only someone who knows the name can read the Session ID.
 */
export function indexerNameResolver(indexerUrl: string, fetchFn: typeof fetch = fetch) {
  return async (name: string): Promise<string> => {
    let normalized: string;
    try {
      normalized = normalizeName(name);
    } catch {
      throw new ClientError("NAME_NOT_FOUND", `"${name}" is not a valid name`);
    }
    const res = await fetchFn(`${indexerUrl.replace(/\/$/, "")}/v1/names/${nameHashHex(normalized)}`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status === 404)
      throw new ClientError("NAME_NOT_FOUND", `no Session ID is registered as "${normalized}"`);
    if (!res.ok) throw new ClientError("NAME_RESOLUTION_UNAVAILABLE", `name lookup failed (${res.status})`);
    const rec = recordSchema.parse(await res.json());
    if (rec.length !== normalized.length) {
      throw new ClientError("NAME_NOT_FOUND", `the registration of "${normalized}" declares a wrong length`);
    }
    try {
      return decryptNameRecord(normalized, fromHex(rec.encryptedRecord.slice(2)));
    } catch {
      throw new ClientError("NAME_NOT_FOUND", `the record of "${normalized}" does not decrypt`);
    }
  };
}
