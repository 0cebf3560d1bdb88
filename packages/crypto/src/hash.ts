import { sodium } from "./sodium.ts";

/** BLAKE2b with `outLen` bytes of output (16..64), optionally keyed. */
export function blake2b(data: Uint8Array, outLen = 32, key?: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(outLen, data, key ?? null);
}
