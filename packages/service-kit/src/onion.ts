import { fromBase64, fromHex } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import {
  decodeOnionLayer,
  decodeV4Request,
  encodeV4Response,
  type V4RequestInfo,
} from "@session/protocol/onion";
import type { Context, Handler, Hono } from "hono";
import type { Logger } from "pino";
import { z } from "zod";
import { closeAfter, readBodyLimited } from "./body-limit.ts";
import { errorBody, errorToResponseParts } from "./errors.ts";
import { type EncType, hopServer, type X25519Keys } from "./hop.ts";

export type { EncType, X25519Keys };

/** Key under which the internal sub-request's `c.env` says it arrived through an onion request. */
export const ONION_ENV_KEY = "sessionOnion";

interface OnionRequestInfo {
  encType: EncType;
}

/** True inside a handler reached through `onionV4Handler` (never settable by a client). */
export function isOnionRequest(c: Context): boolean {
  const env = c.env as Record<string, unknown> | undefined;
  return typeof env === "object" && env !== null && ONION_ENV_KEY in env;
}

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its Env/Schema types
type AnyHono = Hono<any, any, any>;

interface OnionV4Options {
  /** This server's long-term X25519 keys; clients encrypt the final layer to `publicKey`. */
  x25519Keys: X25519Keys;
  /** The app to dispatch decrypted requests to (usually the app this handler is mounted on). */
  app: AnyHono;
  /** Largest accepted onion body (default 10 MiB, the libsession parser's limit). */
  maxBodyBytes?: number;
  logger?: Logger;
}

const routingSchema = z.looseObject({
  ephemeral_key: z.string(),
  enc_type: z.enum(["aes-gcm", "gcm", "xchacha20", "xchacha20-poly1305"]).optional(),
});

const BODYLESS = new Set(["GET", "HEAD"]);

function parseEphemeralKey(text: string): Uint8Array {
  let key: Uint8Array | undefined;
  try {
    key = /^[0-9a-fA-F]{64}$/.test(text) ? fromHex(text) : text.length >= 43 ? fromBase64(text) : undefined;
  } catch {
    key = undefined;
  }
  if (!key || key.length !== 32) throw new ProtocolError("ONION_BAD_LAYER", "invalid ephemeral_key");
  return key;
}

/** Runs a decoded v4 request against `app` in-process and returns the bencoded v4 response. */
export async function dispatchV4(
  app: AnyHono,
  info: V4RequestInfo,
  body: Uint8Array | undefined,
  onion: OnionRequestInfo,
): Promise<Uint8Array> {
  const method = info.method.toUpperCase();
  if (BODYLESS.has(method) && body !== undefined && body.length > 0) {
    throw new ProtocolError("BAD_REQUEST", `${method} request must not have a body`);
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(info.headers ?? {})) {
    // Length comes from the body part itself, as the v4 format specifies.
    if (k.toLowerCase() !== "content-length") headers.set(k, v);
  }
  const res = await app.request(
    info.endpoint,
    { method, headers, ...(BODYLESS.has(method) ? {} : { body: body ?? new Uint8Array(0) }) },
    { [ONION_ENV_KEY]: onion },
  );
  const resBody = new Uint8Array(await res.arrayBuffer());
  const resHeaders: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    if (key !== "content-length") resHeaders[key.toLowerCase()] = value;
  });
  return encodeV4Response({ code: res.status, headers: resHeaders }, resBody);
}

function v4Error(err: unknown): Uint8Array {
  const { status, body } =
    err instanceof ProtocolError && err.status < 500
      ? errorToResponseParts(err)
      : { status: 400, body: errorBody("BAD_REQUEST", "invalid v4 onion request") };
  return encodeV4Response(
    { code: status, headers: { "content-type": "application/json" } },
    new TextEncoder().encode(JSON.stringify(body)),
  );
}

/**
 * Hono handler for `POST /oxen/v4/lsrpc`: the final hop of an onion request addressed to this
 * server. The body is `u32le N ‖ ciphertext(N) ‖ JSON {ephemeral_key, enc_type}` as forwarded by
 * a storage node; the plaintext is a v4 request (`l <json{method,endpoint,headers}> [<body>] e`).
 * The request runs in-process against `app` and the v4 response goes back encrypted with the
 * same key and cipher. Failures before decryption answer in plain JSON (we cannot encrypt to a
 * client we could not read); failures after it answer inside the encrypted v4 response.
 */
export function onionV4Handler(options: OnionV4Options): Handler {
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const hop = hopServer(options.x25519Keys);
  return async (c) => {
    // An onion request whose inner request targets this endpoint again would nest without end.
    if (isOnionRequest(c))
      return c.json(errorBody("BAD_REQUEST", "nested onion requests are not allowed"), 400);
    let encType: EncType;
    let opened: ReturnType<typeof hop.open>;
    try {
      const raw = await readBodyLimited(c.req.raw, maxBodyBytes, "onion request data too big");
      const layer = decodeOnionLayer(raw, maxBodyBytes);
      const routing = routingSchema.safeParse(layer.json);
      if (!routing.success) throw new ProtocolError("ONION_BAD_LAYER", "metadata needs an 'ephemeral_key'");
      const t = routing.data.enc_type ?? "aes-gcm";
      encType = t === "gcm" ? "aes-gcm" : t === "xchacha20-poly1305" ? "xchacha20" : t;
      opened = hop.open(encType, layer.payload, parseEphemeralKey(routing.data.ephemeral_key));
    } catch (err) {
      const { status, body } = errorToResponseParts(
        err instanceof ProtocolError ? err : new ProtocolError("ONION_DECRYPT_FAILED"),
      );
      options.logger?.debug({ code: body.error.code }, "onion request rejected before decryption");
      const res = c.json(body, status as 400);
      // Stop receiving the rest of an oversized body.
      return status === 413 ? closeAfter(res) : res;
    }
    let reply: Uint8Array;
    try {
      const req = decodeV4Request(opened.plaintext);
      reply = await dispatchV4(options.app, req.info, req.body, { encType });
    } catch (err) {
      options.logger?.debug({ err }, "invalid v4 onion request");
      reply = v4Error(err);
    }
    const encrypted = opened.seal(reply);
    return c.body(encrypted as Uint8Array<ArrayBuffer>, 200, { "content-type": "application/octet-stream" });
  };
}
