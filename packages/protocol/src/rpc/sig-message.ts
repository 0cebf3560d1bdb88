// The bytes a storage request's signature covers, concatenated as oxenss builds them.
import { concatBytes, utf8Encode } from "@session/crypto";
import { ProtocolError } from "../errors.ts";

/** Concatenates signature-message parts (strings as UTF-8, bytes as-is) as the server does. */
export function sigMessage(
  ...parts: ReadonlyArray<string | number | Uint8Array | readonly (string | number | Uint8Array)[]>
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const add = (p: string | number | Uint8Array) => {
    if (p instanceof Uint8Array) chunks.push(p);
    else chunks.push(utf8Encode(typeof p === "number" ? integerString(p) : p));
  };
  for (const p of parts) {
    if (Array.isArray(p)) for (const q of p as readonly (string | number | Uint8Array)[]) add(q);
    else add(p as string | number | Uint8Array);
  }
  return concatBytes(...chunks);
}

/** Base-10 form of an integer with no exponent or fraction (std::to_chars). */
function integerString(n: number): string {
  if (!Number.isSafeInteger(n)) throw new ProtocolError("BAD_REQUEST", `not an integer: ${n}`);
  return n.toString(10);
}
