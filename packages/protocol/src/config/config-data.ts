// The data a config message carries (libsession's config data model): scalars (ints, byte strings),
// sets (sorted lists of scalars) and dicts of them, with libsession's ordering, pruning and the
// checks a received message's data must pass.
import { ProtocolError } from "../errors.ts";
import { type BtValue, cmpBin, isDict } from "./bt.ts";

export type ConfigScalar = number | string;
export type ConfigSet = ConfigScalar[];
export type ConfigValue = ConfigScalar | ConfigSet | ConfigDict;
export interface ConfigDict {
  [key: string]: ConfigValue;
}

/** Throws CONFIG_INVALID: a config message or its data breaks libsession's rules. */
export const configInvalid = (m: string): never => {
  throw new ProtocolError("CONFIG_INVALID", m);
};

/** libsession scalar order: integers (numerically) before strings (bytewise). */
export function cmpScalar(a: ConfigScalar, b: ConfigScalar): number {
  if (typeof a === "number") return typeof b === "number" ? a - b : -1;
  return typeof b === "number" ? 1 : cmpBin(a, b);
}

/** Adds `v` to a set in place (kept sorted, no duplicates). */
export function setAdd(s: ConfigSet, v: ConfigScalar): void {
  let i = 0;
  while (i < s.length && cmpScalar(s[i]!, v) < 0) i++;
  if (i < s.length && cmpScalar(s[i]!, v) === 0) return;
  s.splice(i, 0, v);
}
export function setRemove(s: ConfigSet, v: ConfigScalar): void {
  const i = s.findIndex((x) => cmpScalar(x, v) === 0);
  if (i >= 0) s.splice(i, 1);
}

export function cloneData<T extends ConfigValue>(v: T): T {
  if (Array.isArray(v)) return [...v] as T;
  if (typeof v === "object") {
    const out: ConfigDict = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = cloneData(x);
    return out as T;
  }
  return v;
}

/** Removes empty sets and dicts (recursively), as libsession does before every diff/serialize. */
export function prune(d: ConfigDict): void {
  for (const [k, v] of Object.entries(d)) {
    if (Array.isArray(v)) {
      if (v.length === 0) delete d[k];
    } else if (typeof v === "object") {
      prune(v);
      if (Object.keys(v).length === 0) delete d[k];
    }
  }
}

/** What a config value is: its diffs and merges treat each kind differently. */
export function kind(v: ConfigValue): "scalar" | "set" | "dict" {
  return Array.isArray(v) ? "set" : typeof v === "object" ? "dict" : "scalar";
}

/** A set member or scalar from bt-decoded input (ints and byte strings only). */
export function asScalar(v: BtValue): ConfigScalar {
  if (typeof v === "number" || typeof v === "string") return v;
  return configInvalid("invalid set diff value: expected int or string");
}

/** A received message's data dict: sets sorted without duplicates, nothing empty below the top. */
export function parseData(v: BtValue, topLevel = false): ConfigDict {
  if (!isDict(v)) return configInvalid("config data must be a dict");
  const out: ConfigDict = Object.create(null);
  if (!topLevel && Object.keys(v).length === 0) configInvalid("data contains an unpruned, empty dict");
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === "number" || typeof x === "string") out[k] = x;
    else if (Array.isArray(x)) {
      if (x.length === 0) configInvalid("data contains an unpruned, empty set");
      const s: ConfigSet = [];
      for (const e of x) {
        const sc = asScalar(e);
        if (s.length && cmpScalar(s[s.length - 1]!, sc) >= 0)
          configInvalid("data contains an unsorted set or duplicates");
        s.push(sc);
      }
      out[k] = s;
    } else out[k] = parseData(x);
  }
  return out;
}
