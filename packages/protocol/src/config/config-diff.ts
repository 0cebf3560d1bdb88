// Config diffs (libsession diff_impl / apply_diff): what a seqno changed ("" set, "-" removed,
// [added, removed] for sets, sub-dicts for dicts), computed from two data dicts and replayed
// onto one when messages merge.
import type { BtDict, BtValue } from "./bt.ts";
import { isDict } from "./bt.ts";
import {
  asScalar,
  type ConfigDict,
  type ConfigScalar,
  type ConfigSet,
  cmpScalar,
  configInvalid,
  kind,
  setAdd,
  setRemove,
} from "./config-data.ts";

function setDiff(old: ConfigSet, nw: ConfigSet): BtValue[] | undefined {
  const added = nw.filter((x) => !old.some((y) => cmpScalar(x, y) === 0));
  const removed = old.filter((x) => !nw.some((y) => cmpScalar(x, y) === 0));
  if (!added.length && !removed.length) return undefined;
  return [added, removed];
}

/** The diff that turns `old` into `nw` (libsession diff_impl); undefined when equal. */
export function diffData(old: ConfigDict, nw: ConfigDict): BtDict | undefined {
  const df: BtDict = Object.create(null);
  const keys = new Set([...Object.keys(old), ...Object.keys(nw)]);
  for (const k of keys) {
    const o = old[k];
    const n = nw[k];
    if (n === undefined) {
      const ov = o!;
      if (kind(ov) === "dict") df[k] = diffData(ov as ConfigDict, Object.create(null))!;
      else if (kind(ov) === "set") df[k] = setDiff(ov as ConfigSet, [])!;
      else df[k] = "-";
      continue;
    }
    if (o === undefined || kind(o) !== kind(n)) {
      if (kind(n) === "dict") df[k] = diffData(Object.create(null), n as ConfigDict)!;
      else if (kind(n) === "set") df[k] = setDiff([], n as ConfigSet)!;
      else df[k] = "";
      continue;
    }
    if (kind(n) === "scalar") {
      if (o !== n) df[k] = "";
    } else if (kind(n) === "dict") {
      const sub = diffData(o as ConfigDict, n as ConfigDict);
      if (sub) df[k] = sub;
    } else {
      const sub = setDiff(o as ConfigSet, n as ConfigSet);
      if (sub) df[k] = sub;
    }
  }
  return Object.keys(df).length ? df : undefined;
}

/** libsession apply_diff: applies `diff`, taking the values it names from `source`. */
export function applyDiff(data: ConfigDict, diff: BtDict, source: ConfigDict): void {
  for (const [k, v] of Object.entries(diff)) {
    const src = source[k];
    const isScalarDiff = typeof v === "string";
    const isSetDiff = Array.isArray(v);
    const isDictDiff = isDict(v);
    if (
      src === undefined ||
      (isScalarDiff && kind(src) !== "scalar") ||
      (isSetDiff && kind(src) !== "set") ||
      (isDictDiff && kind(src) !== "dict")
    ) {
      delete data[k];
      continue;
    }
    if (isScalarDiff) {
      if (v === "-") delete data[k];
      else if (v === "") data[k] = src as ConfigScalar;
      else configInvalid(`invalid diff value at key ${k}`);
    } else if (isDictDiff) {
      let sub = data[k];
      if (kind(sub ?? 0) !== "dict") {
        sub = Object.create(null) as ConfigDict;
        data[k] = sub;
      }
      applyDiff(sub as ConfigDict, v, src as ConfigDict);
    } else if (isSetDiff) {
      let sub = data[k];
      if (!Array.isArray(sub)) {
        sub = [];
        data[k] = sub;
      }
      const [added, removed] = v as [BtValue[], BtValue[]];
      for (const a of added ?? []) setAdd(sub, asScalar(a));
      for (const r of removed ?? []) setRemove(sub, asScalar(r));
    } else {
      configInvalid(`invalid diff value type at key ${k}`);
    }
  }
}

/** A received diff, checked to hold only what a diff may (and returned as one). */
export function checkDiff(v: BtValue): BtDict {
  if (!isDict(v)) return configInvalid("config diff must be a dict");
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === "string") {
      if (x !== "" && x !== "-") configInvalid(`config diff contains invalid pair ${k}`);
    } else if (Array.isArray(x)) {
      if (x.length !== 2 || !x.every(Array.isArray))
        configInvalid(`config diff contains invalid set at ${k}`);
    } else if (isDict(x)) checkDiff(x);
    else configInvalid(`config diff contains invalid value at ${k}`);
  }
  return v;
}
