import { fromBase64, toBase64 } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import { errorResponse, limitBody } from "@session/service-kit";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { FileRecord } from "../db/repo.ts";
import {
  extendFile,
  type FileDeps,
  fileInfo,
  openFile,
  resolveTtlSeconds,
  uploadFile,
} from "../domain/files.ts";
import { parseFileId } from "../ids.ts";
import { dispositionFor, filenameFromDisposition } from "./content-disposition.ts";

const seconds = (ms: number) => ms / 1000;

function infoJson(r: FileRecord) {
  return { id: r.id, size: r.size, uploaded: seconds(r.uploadedMs), expires: seconds(r.expiresMs) };
}

const legacyUploadSchema = z.object({ file: z.string().min(1) });

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * The Session file server API (doc/api.yaml of session-foundation/session-file-server):
 * `/file…` routes plus the deprecated base64 `/files…` ones. `guard` runs first on each
 * (direct-access policy, rate limits).
 */
export function registerFileRoutes(app: Hono, deps: FileDeps, guard: (name: string) => MiddlewareHandler) {
  const ttlOf = (c: Context) => resolveTtlSeconds(c.req.header("x-fs-ttl"), deps.limits);

  // Streamed to disk as it arrives; past the limit (declared or counted) reading stops with a 413.
  const uploadLimit = limitBody(deps.limits.maxFileBytes, {
    mode: "stream",
    onTooLarge: (c, max) => errorResponse(c, "PAYLOAD_TOO_LARGE", `file exceeds the ${max}-byte limit`),
  });
  app.post("/file", guard("upload"), uploadLimit, async (c) => {
    const record = await uploadFile(deps, c.req.raw.body, {
      ttlSeconds: ttlOf(c),
      filename: filenameFromDisposition(c.req.header("content-disposition")),
    });
    return c.json({ id: record.id, expires: seconds(record.expiresMs) });
  });

  app.get("/file/:id", guard("download"), async (c) => {
    const { record, blob } = await openFile(deps, parseFileId(c.req.param("id")));
    return new Response(blob.stream, {
      status: 200,
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(blob.size),
        "content-disposition": dispositionFor(record.filename),
        "cache-control": "private, max-age=0",
      },
    });
  });

  app.get("/file/:id/info", guard("info"), async (c) => {
    const record = await fileInfo(deps, parseFileId(c.req.param("id")));
    return c.json(infoJson(record));
  });

  app.post("/file/:id/extend", guard("extend"), async (c) => {
    const id = parseFileId(c.req.param("id"));
    const record = await extendFile(deps, id, ttlOf(c));
    return c.json(infoJson(record));
  });

  // Deprecated base64-in-JSON variants; base64 is 4/3 larger, plus room for the JSON wrapper.
  const legacyLimit = Math.ceil((deps.limits.maxFileBytes * 4) / 3) + 1024;
  app.post("/files", guard("upload"), limitBody(legacyLimit), async (c) => {
    const parsed = legacyUploadSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new ProtocolError("BAD_REQUEST", 'expected JSON {"file": <base64>}');
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(parsed.data.file);
    } catch (cause) {
      throw new ProtocolError("BAD_REQUEST", "file is not valid base64", undefined, { cause });
    }
    const record = await uploadFile(deps, bytesStream(bytes), { ttlSeconds: ttlOf(c), filename: null });
    return c.json({ status_code: 200, result: record.id });
  });

  app.get("/files/:id", guard("download"), async (c) => {
    const { blob } = await openFile(deps, parseFileId(c.req.param("id")));
    const bytes = new Uint8Array(await new Response(blob.stream).arrayBuffer());
    return c.json({ status_code: 200, result: toBase64(bytes) });
  });
}
