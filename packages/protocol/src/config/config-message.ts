import { blake2b } from "@session/crypto";
import { ProtocolError } from "../errors.ts";
import {
  type BtDict,
  BtReader,
  type BtValue,
  binToBytes,
  btEncode,
  btEncodeTo,
  bytesToBin,
  cmpBin,
} from "./bt.ts";
import { type ConfigDict, cloneData, configInvalid, parseData, prune } from "./config-data.ts";
import { applyDiff, checkDiff, diffData } from "./config-diff.ts";

/*
 * libsession's config message (session-foundation/libsession-util src/config.cpp,
 * docs/config-merge-logic.md), written from its description:
 *
 *   d 1:# seqno  1:& data  1:< [[seqno, hash, diff], …]  1:= diff  [1:~ signature] e
 *
 * `data` is a dict of scalars (ints, byte strings), sets (sorted lists of scalars) and sub-dicts;
 * `diff` records what this seqno changed ("" set, "-" removed, [added, removed] for sets);
 * lagged diffs of the last `lag` seqnos let clients merge concurrent changes deterministically:
 * the merged message takes seqno max+1 and replays every known diff in (seqno, hash) order,
 * each taking its values from the message that carried it. The hash of a message is BLAKE2b-32
 * of its serialized bytes (signature included); the signature covers everything before "1:~".
 */

export const DEFAULT_DIFF_LAGS = 5;

export type ConfigSigner = (data: Uint8Array) => Uint8Array;
export type ConfigVerifier = (data: Uint8Array, signature: Uint8Array) => boolean;

export interface ConfigMessageOptions {
  lag?: number;
  signer?: ConfigSigner;
  verifier?: ConfigVerifier;
}

interface Lagged {
  seqno: number;
  hash: string;
  diff: BtDict;
}
function cmpSeqHash(a: { seqno: number; hash: string }, b: { seqno: number; hash: string }) {
  return a.seqno - b.seqno || cmpBin(a.hash, b.hash);
}

const SIG_TAIL = 3 + 3 + 64 + 1; // "1:~" "64:" sig "e"

export class ConfigMessage {
  seqno: number;
  data: ConfigDict = Object.create(null);
  lag: number;
  signer: ConfigSigner | undefined;
  verifier: ConfigVerifier | undefined;
  /** True when this message came from merging several (it then needs pushing). */
  merged = false;
  /** Mutable messages compute their diff from `orig`; parsed ones carry the diff they were sent with. */
  private mutable: boolean;
  private orig: ConfigDict = Object.create(null);
  private diff_: BtDict = Object.create(null);
  private lagged: Lagged[] = [];
  private hash_ = "";
  private signature: string | undefined;

  /** A new, empty, mutable config at `seqno`. */
  constructor(seqno = 0, opts: ConfigMessageOptions = {}) {
    this.seqno = seqno;
    this.lag = opts.lag ?? DEFAULT_DIFF_LAGS;
    this.signer = opts.signer;
    this.verifier = opts.verifier;
    this.mutable = true;
  }

  /** Parses one serialized message (checks the signature when a verifier is set). */
  static parse(bytes: Uint8Array, opts: ConfigMessageOptions = {}): ConfigMessage {
    const m = new ConfigMessage(0, opts);
    m.mutable = false;
    const raw = bytesToBin(bytes);
    m.hash_ = bytesToBin(blake2b(bytes, 32));
    const r = new BtReader(raw);
    if (r.peek() !== "d") configInvalid("config message must be a dict");
    r.pos++;
    const next = () => (r.peek() === "e" ? undefined : r.str());
    let key = next();
    if (key !== "#") configInvalid('invalid config: first key must be "#"');
    m.seqno = r.int();
    key = next();
    // Unknown keys between the known ones are skipped (they are still covered by the hash).
    while (key !== undefined && cmpBin(key, "&") < 0) {
      r.value();
      key = next();
    }
    if (key !== "&") configInvalid('invalid config: "&" data dict not found');
    m.data = parseData(r.value(), true);
    key = next();
    while (key !== undefined && cmpBin(key, "<") < 0) {
      r.value();
      key = next();
    }
    if (key === "<") {
      const lags = r.value();
      if (!Array.isArray(lags)) configInvalid("lagged diffs must be a list");
      for (const l of lags as BtValue[]) {
        if (!Array.isArray(l) || l.length !== 3)
          configInvalid("invalid lagged diff tuple: expected 3 elements");
        const [s, h, d] = l as [BtValue, BtValue, BtValue];
        if (typeof s !== "number") configInvalid("lagged diff seqno must be an integer");
        const seqno = s as number;
        if (seqno >= m.seqno) configInvalid("lagged seqno >= current seqno");
        if (typeof h !== "string" || h.length !== 32) configInvalid("lagged diff hash must be 32 bytes");
        if (seqno <= m.seqno - m.lag) continue;
        const entry = { seqno, hash: h as string, diff: checkDiff(d) };
        const last = m.lagged[m.lagged.length - 1];
        if (last && cmpSeqHash(last, entry) >= 0) configInvalid("unsorted or duplicate lagged diffs");
        m.lagged.push(entry);
      }
      key = next();
    }
    while (key !== undefined && cmpBin(key, "=") < 0) {
      r.value();
      key = next();
    }
    if (key === "=") {
      m.diff_ = checkDiff(r.value());
      key = next();
    }
    while (key !== undefined && key !== "~") {
      if (cmpBin(key, "~") > 0) configInvalid('invalid config: keys after "~"');
      r.value();
      key = next();
    }
    if (key === "~") {
      const sig = r.str();
      if (sig.length !== 64)
        throw new ProtocolError("CONFIG_SIGNATURE", "config signature is invalid (not 64B)");
      if (r.peek() !== "e" || r.pos + 1 !== raw.length) configInvalid('invalid config: data after "~"');
      if (m.verifier && !m.verifier(bytes.subarray(0, bytes.length - SIG_TAIL), binToBytes(sig)))
        throw new ProtocolError("CONFIG_SIGNATURE", "config signature failed verification");
      if (m.verifier) m.signature = sig;
    } else if (m.verifier) {
      throw new ProtocolError("CONFIG_SIGNATURE", "config signature is missing");
    }
    if (r.peek() !== "e") configInvalid("invalid config dict");
    r.pos++;
    if (!r.done) configInvalid("trailing data after config message");
    return m;
  }

  /**
   * libsession ConfigMessage(vector): parses each (skipping invalid ones, reported to `onError`),
   * drops the redundant ones, and merges the rest. With one left it is returned as is.
   */
  static merge(
    messages: readonly Uint8Array[],
    opts: ConfigMessageOptions = {},
    onError?: (index: number, err: unknown) => void,
  ): ConfigMessage {
    const lag = opts.lag ?? DEFAULT_DIFF_LAGS;
    const confs: { m: ConfigMessage; redundant: boolean }[] = [];
    messages.forEach((b, i) => {
      try {
        confs.push({ m: ConfigMessage.parse(b, opts), redundant: false });
      } catch (err) {
        onError?.(i, err);
      }
    });
    if (!confs.length) configInvalid("no valid config messages given");
    let max = Number.MIN_SAFE_INTEGER;
    confs.forEach((c, i) => {
      max = Math.max(max, c.m.seqno);
      for (let j = 0; !c.redundant && j < confs.length; j++) {
        if (i === j) continue;
        const o = confs[j]!.m;
        if (o.lagged.some((l) => l.seqno === c.m.seqno && l.hash === c.m.hash_)) c.redundant = true;
        else if (j < i && o.seqno === c.m.seqno && o.hash_ === c.m.hash_) c.redundant = true;
      }
    });
    for (const c of confs) if (c.m.seqno + lag <= max) c.redundant = true;
    const live = confs.filter((c) => !c.redundant).map((c) => c.m);
    if (live.length === 1) return live[0]!;
    if (opts.verifier && !opts.signer) {
      // Cannot re-sign a merge: take the newest.
      return live.sort(
        (a, b) => -cmpSeqHash({ seqno: a.seqno, hash: a.hash_ }, { seqno: b.seqno, hash: b.hash_ }),
      )[0]!;
    }
    live.sort((a, b) => -cmpSeqHash({ seqno: a.seqno, hash: a.hash_ }, { seqno: b.seqno, hash: b.hash_ }));
    const out = new ConfigMessage(max + 1, opts);
    out.mutable = false;
    out.merged = true;
    out.data = cloneData(live[0]!.data);
    const replay = new Map<string, { seqno: number; hash: string; data: ConfigDict; diff: BtDict }>();
    for (const c of live) {
      const key = (s: number, h: string) => `${s}:${h}`;
      if (!replay.has(key(c.seqno, c.hash_)))
        replay.set(key(c.seqno, c.hash_), { seqno: c.seqno, hash: c.hash_, data: c.data, diff: c.diff_ });
      for (const l of c.lagged)
        if (!replay.has(key(l.seqno, l.hash))) replay.set(key(l.seqno, l.hash), { ...l, data: c.data });
    }
    for (const r of [...replay.values()].sort(cmpSeqHash)) {
      applyDiff(out.data, r.diff, r.data);
      out.lagged.push({ seqno: r.seqno, hash: r.hash, diff: r.diff });
    }
    prune(out.data);
    out.hash_ = bytesToBin(blake2b(out.serialize(), 32));
    return out;
  }

  /** A mutable copy to change: the next seqno (or this one, for a merge not yet pushed). */
  mutableCopy(): ConfigMessage {
    if (this.merged) {
      const c = this.copy();
      c.mutable = true;
      c.orig = cloneData(c.data);
      c.diff_ = Object.create(null);
      return c;
    }
    return this.increment();
  }

  /** libsession increment(): the next seqno, carrying this message's diff as a lagged diff. */
  increment(): ConfigMessage {
    const c = this.copy();
    if (this.mutable) c.hash_ = bytesToBin(blake2b(c.serialize(), 32));
    c.mutable = true;
    c.merged = false;
    c.signature = undefined;
    c.orig = cloneData(c.data);
    c.lagged = c.lagged.filter((l) => l.seqno > c.seqno - c.lag && l.seqno < c.seqno);
    c.lagged.push({ seqno: c.seqno, hash: c.hash_, diff: c.diff_ });
    c.lagged.sort(cmpSeqHash);
    c.seqno++;
    c.hash_ = "";
    c.diff_ = Object.create(null);
    return c;
  }

  private copy(): ConfigMessage {
    const c = new ConfigMessage(this.seqno, { lag: this.lag, signer: this.signer, verifier: this.verifier });
    c.mutable = this.mutable;
    c.merged = this.merged;
    c.data = cloneData(this.data);
    c.orig = cloneData(this.orig);
    c.diff_ = this.diff_;
    c.lagged = this.lagged.map((l) => ({ ...l }));
    c.hash_ = this.hash_;
    c.signature = this.signature;
    return c;
  }

  /** What this seqno changed. */
  diff(): BtDict {
    if (this.mutable) {
      this.signature = undefined;
      prune(this.data);
      this.diff_ = diffData(this.orig, this.data) ?? Object.create(null);
    }
    return this.diff_;
  }

  /** True when a mutable message has changes since its seqno was taken. */
  get dirty(): boolean {
    return this.merged || Object.keys(this.diff()).length > 0;
  }

  /** 32-byte hash of the serialized message (recomputed for a mutable message). */
  hash(): Uint8Array {
    if (this.mutable) this.hash_ = bytesToBin(blake2b(this.serialize(), 32));
    return binToBytes(this.hash_);
  }

  serialize(sign = true): Uint8Array {
    const diff = this.diff();
    const out: string[] = ["d", "1:#"];
    btEncodeTo(this.seqno, out);
    out.push("1:&");
    btEncodeTo(this.data, out);
    out.push("1:<l");
    for (const l of this.lagged) {
      if (l.seqno <= this.seqno - this.lag || l.seqno >= this.seqno) continue;
      btEncodeTo([l.seqno, l.hash, l.diff], out);
    }
    out.push("e1:=");
    btEncodeTo(diff, out);
    if (this.signature) {
      out.push("1:~64:", this.signature);
    } else if (this.signer && sign) {
      const sig = this.signer(binToBytes(out.join("")));
      if (sig.length !== 64) configInvalid("signer did not return 64 bytes");
      out.push("1:~64:", bytesToBin(sig));
    }
    out.push("e");
    return binToBytes(out.join(""));
  }
}

export { btEncode };
