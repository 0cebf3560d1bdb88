// Reading and writing config dict fields with libsession's semantics (src/config/internal.hpp):
// empty and zero values are removed rather than stored, names and URLs are length-capped, and
// entries keyed by a 33-byte Session ID are read back as 05… hex.
import { fromHex, isSessionId, toHex } from "@session/crypto";
import { ProtocolError } from "../errors.ts";
import { bin, binToBytes, bytesToBin, unbin } from "./bt.ts";
import type { ConfigDict, ConfigValue } from "./config-data.ts";

/** Names are at most 100 bytes (contact_info::MAX_NAME_LENGTH), cut at a UTF-8 boundary. */
export const MAX_NAME_BYTES = 100;
/** Profile picture URLs are at most 223 bytes (profile_pic::MAX_URL_LENGTH). */
export const MAX_PIC_URL_BYTES = 223;

export function setNonEmptyStr(d: ConfigDict, k: string, v: string | undefined): void {
  if (v) d[k] = bin(v);
  else delete d[k];
}
export function setFlag(d: ConfigDict, k: string, v: boolean): void {
  if (v) d[k] = 1;
  else delete d[k];
}
export function setNonZero(d: ConfigDict, k: string, v: number | undefined): void {
  if (v) d[k] = v;
  else delete d[k];
}
export function setPositive(d: ConfigDict, k: string, v: number | undefined): void {
  if (v !== undefined && v > 0) d[k] = v;
  else delete d[k];
}
export function str(v: ConfigValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}
export function int(v: ConfigValue | undefined): number | undefined {
  return typeof v === "number" ? v : undefined;
}
export function subDict(d: ConfigDict, k: string): ConfigDict | undefined {
  const v = d[k];
  return typeof v === "object" && !Array.isArray(v) ? v : undefined;
}
export function ensureDict(d: ConfigDict, k: string): ConfigDict {
  let v = subDict(d, k);
  if (!v) {
    v = Object.create(null) as ConfigDict;
    d[k] = v;
  }
  return v;
}

/** A profile picture: the file server URL and the 32-byte key it is encrypted with. */
export interface ProfilePicture {
  url: string;
  key: Uint8Array;
}

export function readPic(d: ConfigDict): ProfilePicture | undefined {
  const url = str(d.p);
  const key = str(d.q);
  if (!url || !key || key.length !== 32) return undefined;
  return { url: unbin(url), key: binToBytes(key) };
}
export function writePic(d: ConfigDict, pic: ProfilePicture | undefined): void {
  if (pic?.url && pic.key.length === 32) {
    if (Buffer.byteLength(pic.url) > MAX_PIC_URL_BYTES)
      throw new ProtocolError("BAD_REQUEST", `profile picture URL is longer than ${MAX_PIC_URL_BYTES} bytes`);
    d.p = bin(pic.url);
    d.q = bytesToBin(pic.key);
  } else {
    delete d.p;
    delete d.q;
  }
}

export function idKey(sessionId: string): string {
  if (!isSessionId(sessionId, 0x05)) throw new ProtocolError("BAD_REQUEST", `not a Session ID: ${sessionId}`);
  return bytesToBin(fromHex(sessionId));
}
export function keyId(k: string): string | undefined {
  return k.length === 33 && k.charCodeAt(0) === 0x05 ? toHex(binToBytes(k)) : undefined;
}

/** The dicts under `k` keyed by a 05 Session ID (contacts, 1:1 conversations), by Session ID. */
export function dictsBySessionId(d: ConfigDict, k: string): [sessionId: string, entry: ConfigDict][] {
  const out: [string, ConfigDict][] = [];
  for (const [key, v] of Object.entries(subDict(d, k) ?? {})) {
    const id = keyId(key);
    if (id && typeof v === "object" && !Array.isArray(v)) out.push([id, v]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : 1));
}
