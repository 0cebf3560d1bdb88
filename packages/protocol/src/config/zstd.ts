import { concatBytes } from "@session/crypto";
import { Decompress } from "fzstd";
import { ProtocolError } from "../errors.ts";

/**
 * zstd decompression of what libsession compresses (configs with a "z" prefix, group messages
 * with a "z" field), streamed and bounded: output beyond `maxSize` stops decompression.
 */
export function zstdDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const tooLarge = new ProtocolError("PAYLOAD_TOO_LARGE", "decompressed data is too large");
  const stream = new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxSize) throw tooLarge;
    chunks.push(chunk.slice());
  });
  try {
    stream.push(data, true);
  } catch (e) {
    if (e === tooLarge) throw e;
    throw new ProtocolError("BAD_REQUEST", `zstd decompression failed: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  }
  if (total === 0) throw new ProtocolError("BAD_REQUEST", "zstd data decompressed to nothing");
  return concatBytes(...chunks);
}
