import { concatBytes } from "@session/crypto";
import { BencodeCursor } from "./bencode-cursor.ts";
import { ProtocolError } from "./errors.ts";

/**
 * Strict bencode (BitTorrent encoding, as used by oxenc/bt_serialize in the Oxen/Session stack).
 * Integers decode to `number` when they are safe integers and to `bigint` otherwise; byte strings
 * decode to `Uint8Array`; dict keys must be valid UTF-8 and appear in strictly ascending byte order.
 */
export type BencodeValue = number | bigint | Uint8Array | BencodeValue[] | BencodeDict;
export interface BencodeDict {
  [key: string]: BencodeValue;
}

/** What `bencode()` accepts: like BencodeValue, plus JS strings (encoded as UTF-8 byte strings). */
export type BencodeInput = number | bigint | string | Uint8Array | readonly BencodeInput[] | BencodeInputDict;
export interface BencodeInputDict {
  readonly [key: string]: BencodeInput;
}

export const BENCODE_MAX_DEPTH = 64;

const enc = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

const fail = (message: string): never => {
  throw new ProtocolError("BENCODE_INVALID", message);
};

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** Encodes a value; dict keys are sorted by their UTF-8 bytes as the format requires. */
export function bencode(value: BencodeInput): Uint8Array {
  const parts: Uint8Array[] = [];
  const push = (b: Uint8Array) => {
    parts.push(b);
  };
  const pushStr = (s: string) => push(enc.encode(s));
  const pushBytes = (b: Uint8Array) => {
    pushStr(`${b.length}:`);
    push(b);
  };
  const walk = (v: BencodeInput, depth: number): void => {
    if (depth > BENCODE_MAX_DEPTH) fail("nesting too deep");
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) fail("bencode integers must be safe integers (use bigint)");
      pushStr(`i${v}e`);
    } else if (typeof v === "bigint") {
      pushStr(`i${v}e`);
    } else if (typeof v === "string") {
      pushBytes(enc.encode(v));
    } else if (v instanceof Uint8Array) {
      pushBytes(v);
    } else if (Array.isArray(v)) {
      pushStr("l");
      for (const item of v as readonly BencodeInput[]) walk(item, depth + 1);
      pushStr("e");
    } else if (typeof v === "object" && v !== null) {
      const entries = Object.entries(v as BencodeInputDict).map(
        ([k, val]) => [enc.encode(k), val] as [Uint8Array, BencodeInput],
      );
      entries.sort((a, b) => compareBytes(a[0], b[0]));
      pushStr("d");
      for (const [k, val] of entries) {
        pushBytes(k);
        walk(val, depth + 1);
      }
      pushStr("e");
    } else {
      fail(`cannot bencode a value of type ${typeof v}`);
    }
  };
  walk(value, 0);
  return concatBytes(...parts);
}

const C_0 = 0x30;
const C_9 = 0x39;
const C_COLON = 0x3a;
const C_MINUS = 0x2d;
const C_I = 0x69;
const C_L = 0x6c;
const C_D = 0x64;
const C_E = 0x65;

/** Incremental decoder over a byte buffer; every failure is a ProtocolError("BENCODE_INVALID"). */
export class BencodeReader extends BencodeCursor<Uint8Array> {
  constructor(
    readonly bytes: Uint8Array,
    readonly maxDepth = BENCODE_MAX_DEPTH,
  ) {
    super(bytes, "unexpected end of input");
  }

  /** Reads a byte string (`<len>:<bytes>`), returning a view into the input. */
  readBytes(): Uint8Array {
    const start = this.pos;
    let len = 0;
    let digits = 0;
    for (;;) {
      const c = this.peek();
      if (c === C_COLON) break;
      if (c < C_0 || c > C_9) fail(`invalid string length at offset ${start}`);
      if (digits === 1 && len === 0) fail(`leading zero in string length at offset ${start}`);
      len = len * 10 + (c - C_0);
      digits++;
      if (len > this.bytes.length) fail(`string length exceeds input at offset ${start}`);
      this.pos++;
    }
    if (digits === 0) fail(`missing string length at offset ${start}`);
    this.pos++; // ':'
    if (this.pos + len > this.bytes.length) fail(`truncated string at offset ${start}`);
    const out = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  readInt(): number | bigint {
    const start = this.pos;
    if (this.peek() !== C_I) fail(`expected integer at offset ${start}`);
    this.pos++;
    let neg = false;
    if (this.peek() === C_MINUS) {
      neg = true;
      this.pos++;
    }
    const digitsStart = this.pos;
    while (this.peek() !== C_E) {
      const c = this.bytes[this.pos]!;
      if (c < C_0 || c > C_9) fail(`invalid integer at offset ${start}`);
      this.pos++;
      if (this.pos - digitsStart > 64) fail(`integer too long at offset ${start}`);
    }
    const digits = this.pos - digitsStart;
    if (digits === 0) fail(`empty integer at offset ${start}`);
    if (this.bytes[digitsStart] === C_0 && (digits > 1 || neg))
      fail(`non-canonical integer at offset ${start}`);
    let text = "";
    for (let i = digitsStart; i < this.pos; i++) text += String.fromCharCode(this.bytes[i]!);
    this.pos++; // 'e'
    const big = BigInt(neg ? `-${text}` : text);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }

  readValue(depth = 0): BencodeValue {
    if (depth > this.maxDepth) fail("nesting too deep");
    const c = this.peek();
    if (c === C_I) return this.readInt();
    if (c >= C_0 && c <= C_9) return this.readBytes();
    if (c === C_L) {
      this.pos++;
      const list: BencodeValue[] = [];
      while (this.peek() !== C_E) list.push(this.readValue(depth + 1));
      this.pos++;
      return list;
    }
    if (c === C_D) {
      this.pos++;
      const dict: BencodeDict = Object.create(null);
      let prev: Uint8Array | undefined;
      while (this.peek() !== C_E) {
        const keyAt = this.pos;
        const k = this.readBytes();
        if (prev && compareBytes(prev, k) >= 0) fail(`dict keys not strictly ascending at offset ${keyAt}`);
        prev = k;
        let key: string;
        try {
          key = strictUtf8.decode(k);
        } catch {
          return fail(`dict key is not UTF-8 at offset ${keyAt}`);
        }
        dict[key] = this.readValue(depth + 1);
      }
      this.pos++;
      return dict;
    }
    return fail(`unexpected byte 0x${c.toString(16).padStart(2, "0")} at offset ${this.pos}`);
  }
}

/** Decodes exactly one bencoded value; trailing bytes are an error. */
export function bdecode(bytes: Uint8Array, maxDepth = BENCODE_MAX_DEPTH): BencodeValue {
  const r = new BencodeReader(bytes, maxDepth);
  const v = r.readValue();
  if (!r.done) fail(`trailing data at offset ${r.pos}`);
  return v;
}

export function isBencodeDict(v: BencodeValue): v is BencodeDict {
  return typeof v === "object" && !(v instanceof Uint8Array) && !Array.isArray(v);
}
