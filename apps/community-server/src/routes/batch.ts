import { ONION_ENV_KEY } from "@session/service-kit";
import type { Hono } from "hono";
import type { User } from "../domain/users.ts";
import { badRequest } from "../errors.ts";
import { type C, type Env, jsonB64 } from "./context.ts";

/** c.env key under which a /batch sub-request carries its outer request's user. */
export const SUBREQUEST_ENV_KEY = "sogsSubrequest";
export interface SubrequestEnv {
  user: User | null;
}

interface SubRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** SOGS parse_batch_request: method, path, optional headers, and one of json/b64/bytes for POST/PUT. */
function parseSubrequest(req: unknown): SubRequest {
  if (typeof req !== "object" || req === null || Array.isArray(req))
    throw badRequest("batch request is not a dict");
  const r = req as Record<string, unknown>;
  if (typeof r.method !== "string") throw badRequest("batch request has no method");
  if (typeof r.path !== "string") throw badRequest("batch request has no path");
  const headers: Record<string, string> = {};
  if ("headers" in r) {
    if (typeof r.headers !== "object" || r.headers === null) throw badRequest("'headers' must be a dict");
    for (const [k, v] of Object.entries(r.headers)) {
      if (typeof v !== "string") throw badRequest("'headers' must contain only str/str pairs");
      headers[k] = v;
    }
  }
  const method = r.method;
  const hasBody = method === "POST" || method === "PUT";
  if (!hasBody && method !== "GET" && method !== "DELETE")
    throw badRequest(`invalid request method ${method}`);
  if (!r.path.startsWith("/")) throw badRequest("path must start with /");
  const bodies = ["b64", "json", "bytes"].filter((k) => k in r);
  if (hasBody && bodies.length !== 1) throw badRequest(`${method} requires exactly one of json/b64/bytes`);
  if (!hasBody && bodies.length > 0) throw badRequest(`${method} cannot have a json/b64/bytes body`);
  let body: Uint8Array | undefined;
  if ("b64" in r) {
    if (typeof r.b64 !== "string") throw badRequest("b64 value is not valid base64");
    body = new Uint8Array(Buffer.from(r.b64, "base64"));
  } else if ("bytes" in r) {
    body = new TextEncoder().encode(String(r.bytes));
  } else if ("json" in r) {
    body = new TextEncoder().encode(JSON.stringify(r.json));
    headers["content-type"] ??= "application/json";
  }
  return { method, path: r.path, headers, ...(body ? { body } : {}) };
}

export function registerBatchRoutes(app: Hono<Env>, outer: (c: C) => { user: User | null; onion: unknown }) {
  const run = (sequential: boolean) => async (c: C) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(c.get("rawBody")));
    } catch (cause) {
      throw badRequest("Invalid JSON body", { cause });
    }
    if (!Array.isArray(parsed)) throw badRequest("batch body must be a list");
    const subs = parsed.map(parseSubrequest);
    const { user, onion } = outer(c);
    const env: Record<string, unknown> = { [SUBREQUEST_ENV_KEY]: { user } satisfies SubrequestEnv };
    if (onion !== undefined) env[ONION_ENV_KEY] = onion;
    const out: { code: number; headers: Record<string, string>; body: unknown }[] = [];
    for (const s of subs) {
      const res = await app.request(
        s.path,
        { method: s.method, headers: s.headers, ...(s.body ? { body: s.body } : {}) },
        env,
      );
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        if (k !== "content-length") headers[k] = v;
      });
      const type = res.headers.get("content-type") ?? "";
      const bytes = new Uint8Array(await res.arrayBuffer());
      const body = type.startsWith("application/json") ? JSON.parse(new TextDecoder().decode(bytes)) : bytes;
      out.push({ code: res.status, headers, body });
      if (sequential && !(res.status >= 200 && res.status < 300)) break;
    }
    return jsonB64(c, out);
  };
  app.post("/batch", run(false));
  app.post("/sequence", run(true));
}
