/*
 * z-base-32 (the encoding oxenc::to_base32z uses for `.snode` addresses): 5 bits per character,
 * most significant bits first, the final character padded with zero bits, no `=` padding.
 */
const ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769";

export function toBase32z(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}
