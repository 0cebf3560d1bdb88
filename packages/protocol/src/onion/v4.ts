import { z } from "zod";
import { BencodeReader, bencode } from "../bencode.ts";
import { type ErrorCode, fromZodError, ProtocolError } from "../errors.ts";

/*
 * Onion request "v4" payloads for HTTP servers (Session file server, push server, SOGS):
 * a bencoded list whose first element is a JSON byte string and whose optional second element is
 * the raw body.
 *   request:  l <json {"method","endpoint","headers"}> [<body>] e
 *   response: l <json {"code","headers"}> [<body>] e
 */

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export const v4RequestInfoSchema = z.looseObject({
  method: z.string().min(1),
  endpoint: z.string().startsWith("/"),
  headers: z.record(z.string(), z.string()).optional(),
});
export type V4RequestInfo = z.infer<typeof v4RequestInfoSchema>;

export const v4ResponseInfoSchema = z.looseObject({
  code: z.number().int().min(100).max(599),
  headers: z.record(z.string(), z.string()).optional(),
});
export type V4ResponseInfo = z.infer<typeof v4ResponseInfoSchema>;

export interface V4Request {
  info: V4RequestInfo;
  body?: Uint8Array;
}
export interface V4Response {
  info: V4ResponseInfo;
  body?: Uint8Array;
}

function encodeV4(info: object, body: Uint8Array | undefined): Uint8Array {
  const json = JSON.stringify(info);
  return bencode(body === undefined ? [json] : [json, body]);
}

/**
 * Reads `l<json>[<body>]e` strictly; returns the JSON as `schema` parses it (else `code`) and the
 * body.
 */
function decodeV4<I>(
  bytes: Uint8Array,
  what: string,
  schema: z.ZodType<I>,
  code: ErrorCode,
): { info: I; body?: Uint8Array } {
  const r = new BencodeReader(bytes, 1);
  if (r.done || r.peek() !== 0x6c)
    throw new ProtocolError("BENCODE_INVALID", `${what}: expected a bencoded list`);
  r.pos++;
  const info = r.readBytes();
  let body: Uint8Array | undefined;
  if (r.peek() !== 0x65) body = r.readBytes();
  if (r.peek() !== 0x65) throw new ProtocolError("BENCODE_INVALID", `${what}: expected at most two elements`);
  r.pos++;
  if (!r.done) throw new ProtocolError("BENCODE_INVALID", `${what}: trailing data`);
  let json: unknown;
  try {
    json = JSON.parse(strictUtf8.decode(info));
  } catch (cause) {
    throw new ProtocolError("BAD_REQUEST", `${what}: info is not valid JSON`, undefined, { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw fromZodError(parsed.error, code);
  return body === undefined ? { info: parsed.data } : { info: parsed.data, body };
}

export function encodeV4Request(info: V4RequestInfo, body?: Uint8Array): Uint8Array {
  return encodeV4(info, body);
}

export function decodeV4Request(bytes: Uint8Array): V4Request {
  return decodeV4(bytes, "v4 request", v4RequestInfoSchema, "BAD_REQUEST");
}

export function encodeV4Response(info: V4ResponseInfo, body?: Uint8Array): Uint8Array {
  return encodeV4(info, body);
}

export function decodeV4Response(bytes: Uint8Array): V4Response {
  return decodeV4(bytes, "v4 response", v4ResponseInfoSchema, "BAD_GATEWAY");
}
