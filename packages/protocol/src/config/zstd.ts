import { compress, init } from "@bokuweb/zstd-wasm";
import { concatBytes } from "@session/crypto";
import { Decompress } from "fzstd";
import { ProtocolError } from "../errors.ts";

// The compressor is zstd itself built to WebAssembly (the reference encoder: its output is
// byte-for-byte libsession's at the same level). It is compiled once, when this module loads
// (tens of milliseconds), so that pushing a config stays synchronous like libsession's push().
await init();

/** One zstd frame of `data` at `level`, as ZSTD_compress writes it (content size, no checksum). */
export function zstdCompress(data: Uint8Array, level: number): Uint8Array {
  try {
    return compress(data, level);
  } catch (e) {
    throw new ProtocolError("INTERNAL", `zstd compression failed: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  }
}

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
