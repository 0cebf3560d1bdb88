import type { Context } from "hono";
import type { DomainDeps } from "../domain/context.ts";
import { type Room, roomByToken } from "../domain/rooms.ts";
import type { User } from "../domain/users.ts";
import { badRequest, notFound, SogsError } from "../errors.ts";

export type Env = { Variables: { user: User | null; rawBody: Uint8Array } };
export type C = Context<Env>;

export const userOf = (c: C): User | null => c.get("user") ?? null;

export function requireUser(c: C): User {
  const u = userOf(c);
  if (!u) throw new SogsError(401, "X-SOGS-* request authentication required");
  return u;
}

export function requireBlindUser(c: C): User {
  const u = requireUser(c);
  if (u.sessionId.startsWith("05"))
    throw new SogsError(401, "This endpoint requires blinded pubkeys be used");
  return u;
}

export async function roomParam(deps: DomainDeps, c: C): Promise<Room> {
  const room = await roomByToken(deps.db, c.req.param("token") ?? "");
  if (!room) throw notFound("No such room");
  return room;
}

export function intParam(c: C, name: string): number {
  const v = c.req.param(name) ?? "";
  if (!/^-?\d{1,15}$/.test(v)) throw notFound();
  return Number(v);
}

/** SOGS get_int_param with truncation into [min, max]. */
export function intQuery(c: C, name: string, dflt: number, min: number, max: number): number {
  const v = c.req.query(name);
  if (v === undefined || v === "") return dflt;
  if (!/^-?\d+$/.test(v)) throw badRequest(`Invalid ${name}`);
  return Math.min(max, Math.max(min, Number(v)));
}

/** `?limit=` of a listing (messages, DM boxes): 100 by default, kept within 1–256 as SOGS does. */
export const limitQuery = (c: C): number => intQuery(c, "limit", 100, 1, 256);

export function jsonBody(c: C): Record<string, unknown> {
  const raw = c.get("rawBody");
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw));
  } catch (cause) {
    throw badRequest("Invalid JSON body", { cause });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw badRequest("Expected a JSON object");
  return parsed as Record<string, unknown>;
}

/** The base64 field `name` of a JSON body, decoded. */
export function base64Field(body: Record<string, unknown>, name: string): Uint8Array {
  const v = body[name];
  if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw badRequest(`${name} must be base64`);
  return new Uint8Array(Buffer.from(v, "base64"));
}

/** JSON with every byte array as base64 (SOGS jsonify_with_base64). */
export function jsonB64(c: C, value: unknown, status = 200): Response {
  const text = JSON.stringify(value, (_k, v) =>
    v instanceof Uint8Array || (v && v.type === "Buffer" && Array.isArray(v.data))
      ? Buffer.from(v instanceof Uint8Array ? v : v.data).toString("base64")
      : v,
  );
  return c.body(text, status as 200, { "content-type": "application/json" });
}
