import { BencodeCursor } from "../bencode-cursor.ts";
import { ProtocolError } from "../errors.ts";

/*
 * Bencode over "binary strings" (one char per byte, 0–255) for libsession config data, whose dict
 * keys and string values are arbitrary bytes (members are keyed by their 33-byte Session ID), so
 * the UTF-8-keyed codec in ../bencode.ts cannot carry them. Comparing binary strings by code unit
 * is comparing their bytes, the order bencode requires.
 */
export type BtValue = number | string | BtValue[] | BtDict;
export interface BtDict {
  [key: string]: BtValue;
}

const fail = (m: string): never => {
  throw new ProtocolError("BENCODE_INVALID", m);
};

/** UTF-8 text → binary string. */
export function bin(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}
/** Binary string → UTF-8 text. */
export function unbin(s: string): string {
  return Buffer.from(s, "latin1").toString("utf8");
}
/** UTF-8 text cut to at most `max` bytes, never inside a character (config string limits). */
export function truncateUtf8(s: string, max: number): string {
  const b = Buffer.from(s, "utf8");
  if (b.length <= max) return s;
  return new TextDecoder().decode(b.subarray(0, max)).replace(/\uFFFD+$/, "");
}
export function bytesToBin(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}
export function binToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

export function cmpBin(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isDict(v: BtValue | undefined): v is BtDict {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Appends the encoding of `v` to `out` (a binary string builder). */
export function btEncodeTo(v: BtValue, out: string[]): void {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) fail("config integers must be safe integers");
    out.push(`i${v}e`);
  } else if (typeof v === "string") {
    out.push(`${v.length}:`, v);
  } else if (Array.isArray(v)) {
    out.push("l");
    for (const x of v) btEncodeTo(x, out);
    out.push("e");
  } else {
    out.push("d");
    for (const k of Object.keys(v).sort(cmpBin)) {
      out.push(`${k.length}:`, k);
      btEncodeTo(v[k]!, out);
    }
    out.push("e");
  }
}

export function btEncode(v: BtValue): string {
  const out: string[] = [];
  btEncodeTo(v, out);
  return out.join("");
}

/** Strict decoder over a binary string (canonical integers, ascending unique dict keys). */
export class BtReader extends BencodeCursor<string> {
  constructor(readonly s: string) {
    super(s, "unexpected end of data");
  }

  str(): string {
    const colon = this.s.indexOf(":", this.pos);
    const digits = colon < 0 ? "" : this.s.slice(this.pos, colon);
    if (!/^(0|[1-9][0-9]{0,8})$/.test(digits)) fail(`invalid string length at ${this.pos}`);
    const n = Number(digits);
    if (colon + 1 + n > this.s.length) fail(`truncated string at ${this.pos}`);
    this.pos = colon + 1 + n;
    return this.s.slice(colon + 1, colon + 1 + n);
  }
  int(): number {
    if (this.peek() !== "i") fail(`expected integer at ${this.pos}`);
    const end = this.s.indexOf("e", this.pos);
    const t = end < 0 ? "" : this.s.slice(this.pos + 1, end);
    if (!/^(0|-?[1-9][0-9]*)$/.test(t)) fail(`invalid integer at ${this.pos}`);
    const n = Number(t);
    if (!Number.isSafeInteger(n)) fail(`integer out of range at ${this.pos}`);
    this.pos = end + 1;
    return n;
  }
  value(depth = 0): BtValue {
    if (depth > 64) fail("nesting too deep");
    const c = this.peek();
    if (c === "i") return this.int();
    if (c >= "0" && c <= "9") return this.str();
    if (c === "l") {
      this.pos++;
      const l: BtValue[] = [];
      while (this.peek() !== "e") l.push(this.value(depth + 1));
      this.pos++;
      return l;
    }
    if (c === "d") {
      this.pos++;
      const d: BtDict = Object.create(null);
      let prev: string | undefined;
      while (this.peek() !== "e") {
        const k = this.str();
        if (prev !== undefined && cmpBin(prev, k) >= 0) fail("dict keys are not in ascending order");
        prev = k;
        d[k] = this.value(depth + 1);
      }
      this.pos++;
      return d;
    }
    return fail(`unexpected character at ${this.pos}`);
  }
}

export function btDecode(s: string): BtValue {
  const r = new BtReader(s);
  const v = r.value();
  if (!r.done) fail("trailing data");
  return v;
}
