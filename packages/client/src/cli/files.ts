import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { MAX_ATTACHMENT_SIZE } from "@session/crypto";
import type { SendOptions } from "../client-options.ts";
import { ClientError } from "../errors.ts";

/** A file to attach, checked before anything is uploaded or sent. */
export function readAttachmentFile(path: string): { bytes: Uint8Array; fileName: string } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new ClientError("BAD_ARGUMENT", `not a file: ${path}`);
    size = st.size;
  } catch (err) {
    if (err instanceof ClientError) throw err;
    throw new ClientError("FILE_NOT_FOUND", `file not found: ${path}`, undefined, { cause: err });
  }
  if (size > MAX_ATTACHMENT_SIZE)
    throw new ClientError(
      "ATTACHMENT_TOO_LARGE",
      `attachment too large: ${path} is ${size} bytes (limit ${MAX_ATTACHMENT_SIZE})`,
    );
  return { bytes: new Uint8Array(readFileSync(path)), fileName: basename(path) };
}

/**
 * Writes `bytes` in `dir` under `name` (made safe), or `name (1)`, `name (2)`, … when taken: a file
 * already there is never overwritten (the name is claimed with O_EXCL). Returns the path.
 */
export function saveUnique(dir: string, name: string, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const safe =
    basename(name)
      .replace(/[^A-Za-z0-9._ -]/g, "_")
      .replace(/^\.+/, "_") || "attachment";
  const ext = extname(safe);
  const stem = safe.slice(0, safe.length - ext.length);
  for (let i = 0; ; i++) {
    const path = join(dir, i === 0 ? safe : `${stem} (${i})${ext}`);
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw err;
    }
    try {
      writeSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    return path;
  }
}

/** `--disappear <seconds>` (after sending, or after reading with `--after-read`). */
export function disappearOption(seconds: string | undefined, afterRead: boolean): SendOptions["disappear"] {
  if (seconds === undefined) {
    if (afterRead) throw new ClientError("BAD_ARGUMENT", "--after-read needs --disappear <seconds>");
    return undefined;
  }
  const n = Number(seconds);
  if (!Number.isInteger(n) || n < 1 || n > 14 * 24 * 3600)
    throw new ClientError(
      "BAD_ARGUMENT",
      `--disappear takes whole seconds from 1 to 1209600, not ${seconds}`,
    );
  return { type: afterRead ? "after-read" : "after-send", seconds: n };
}
