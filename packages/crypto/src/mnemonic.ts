import { CryptoError } from "./errors.ts";
// The public Monero/Electrum English list (1626 words) that Session recovery phrases use; order matters.
import ENGLISH_WORDS from "./wordlist-english.json" with { type: "json" };

/*
 * Session recovery phrase: the Electrum/Monero mnemonic over the English list (1626 words).
 * Each 4-byte little-endian chunk x of the 16-byte seed gives three words:
 *   w1 = x mod n,  w2 = (⌊x/n⌋ + w1) mod n,  w3 = (⌊x/n²⌋ + w2) mod n
 * and a 13th checksum word repeats word[CRC32(first 3 letters of each word, concatenated) mod 12].
 */

const N = ENGLISH_WORDS.length;
const PREFIX_LEN = 3;
const INDEX = new Map<string, number>(ENGLISH_WORDS.map((w, i) => [w.slice(0, PREFIX_LEN), i]));

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32(text: string): number {
  let c = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function checksumIndex(words: readonly string[]): number {
  return crc32(words.map((w) => w.slice(0, PREFIX_LEN)).join("")) % words.length;
}

/** Encodes a seed whose length is a multiple of 4 (16 bytes for Session) as words + checksum. */
export function seedToMnemonic(seed: Uint8Array): string {
  if (!(seed instanceof Uint8Array) || seed.length === 0 || seed.length % 4 !== 0) {
    throw new CryptoError(
      "INVALID_SEED",
      "seed length must be a positive multiple of 4 bytes (16 for Session)",
    );
  }
  const view = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
  const words: string[] = [];
  for (let off = 0; off < seed.length; off += 4) {
    const x = view.getUint32(off, true);
    const w1 = x % N;
    const w2 = (Math.floor(x / N) + w1) % N;
    const w3 = (Math.floor(x / N / N) + w2) % N;
    words.push(ENGLISH_WORDS[w1]!, ENGLISH_WORDS[w2]!, ENGLISH_WORDS[w3]!);
  }
  words.push(words[checksumIndex(words)]!);
  return words.join(" ");
}

/**
 * Decodes a recovery phrase (case- and whitespace-insensitive; words may be given by their first
 * three letters) back to its seed, checking the checksum word.
 */
export function mnemonicToSeed(phrase: string, expectedWords = 13): Uint8Array {
  if (typeof phrase !== "string") throw new CryptoError("MNEMONIC_BAD_LENGTH", "phrase must be a string");
  const words = phrase.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length !== expectedWords) {
    throw new CryptoError(
      "MNEMONIC_BAD_LENGTH",
      `recovery phrase must have ${expectedWords} words, got ${words.length}`,
    );
  }
  const indices = words.map((w) => {
    const i = w.length >= PREFIX_LEN ? INDEX.get(w.slice(0, PREFIX_LEN)) : undefined;
    if (i === undefined)
      throw new CryptoError("MNEMONIC_UNKNOWN_WORD", `"${w}" is not a recovery-phrase word`);
    return i;
  });
  const data = indices.slice(0, -1);
  if (data.length % 3 !== 0)
    throw new CryptoError("MNEMONIC_BAD_LENGTH", "phrase has a wrong number of words");
  const checksum = words[words.length - 1]!;
  const expected = words[checksumIndex(words.slice(0, -1))]!;
  if (expected.slice(0, PREFIX_LEN) !== checksum.slice(0, PREFIX_LEN)) {
    throw new CryptoError("MNEMONIC_CHECKSUM", "recovery phrase checksum word does not match");
  }
  const seed = new Uint8Array((data.length / 3) * 4);
  const view = new DataView(seed.buffer);
  for (let i = 0; i < data.length; i += 3) {
    const [w1, w2, w3] = [data[i]!, data[i + 1]!, data[i + 2]!];
    const x = w1 + N * ((w2 - w1 + N) % N) + N * N * ((w3 - w2 + N) % N);
    if (x % N !== w1 || x > 0xffffffff) {
      throw new CryptoError("MNEMONIC_CHECKSUM", "recovery phrase words do not form a valid seed");
    }
    view.setUint32((i / 3) * 4, x, true);
  }
  return seed;
}
