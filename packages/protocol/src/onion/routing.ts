import { z } from "zod";
import { fromZodError, ProtocolError } from "../errors.ts";

/** Hop encryption names as sent in `enc_type`; aliases as libsession parse_enc_type accepts them. */
export type EncType = "aes-gcm" | "xchacha20";

export function parseEncType(s: string): EncType {
  if (s === "xchacha20" || s === "xchacha20-poly1305") return "xchacha20";
  if (s === "aes-gcm" || s === "gcm") return "aes-gcm";
  throw new ProtocolError("ONION_BAD_LAYER", `Invalid encryption type ${s}`);
}

const hex64 = z.string().regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex digits");
const encTypeField = z
  .string()
  .optional()
  .transform((s, ctx): EncType => {
    if (s === undefined) return "aes-gcm"; // backwards-compatible default
    try {
      return parseEncType(s);
    } catch {
      ctx.addIssue({ code: "custom", message: `Invalid encryption type ${s}` });
      return z.NEVER;
    }
  });

/** Outermost layer sent to the first hop: how to decrypt it. */
export const firstHopInfoSchema = z.object({ ephemeral_key: hex64, enc_type: encTypeField });
export type FirstHopInfo = z.infer<typeof firstHopInfoSchema>;

/** Relay to another node: its Ed25519 key, and the key the blob was encrypted with. */
export const relayToNodeSchema = z.object({
  destination: hex64,
  ephemeral_key: hex64,
  enc_type: encTypeField,
});
export type RelayToNode = z.infer<typeof relayToNodeSchema>;

/**
 * Relay to an HTTP(S) server (file server, push server, …): libsession's builder sends host,
 * target, method, protocol, port, ephemeral_key, enc_type. The payload sent on is the whole
 * decrypted layer; the server decrypts with its own X25519 key.
 */
export const relayToServerSchema = z.object({
  host: z.string().min(1),
  target: z.string().min(1),
  method: z.string().optional(),
  protocol: z.enum(["http", "https"]).default("https"),
  port: z.number().int().min(1).max(65535).optional(),
  ephemeral_key: hex64.optional(),
  enc_type: encTypeField,
});
export type RelayToServer = z.infer<typeof relayToServerSchema> & { port: number };

/** This node is the final destination: the payload is a storage RPC request (JSON). */
export const finalHopSchema = z.object({
  headers: z.unknown(),
  json: z.boolean().optional(),
  base64: z.boolean().optional(),
});

export type OnionRouting =
  | ({ kind: "node" } & RelayToNode)
  | ({ kind: "server" } & RelayToServer)
  | { kind: "final"; json?: boolean; base64?: boolean };

/**
 * Classifies a decrypted layer's routing object exactly as oxenss process_inner_request does:
 * a "headers" key means this node is the destination; else "host" means relay to a server;
 * else it must name the next node.
 */
export function parseOnionRouting(json: unknown): OnionRouting {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ProtocolError("ONION_BAD_LAYER", "onion routing info must be a JSON object");
  }
  const tryParse = <S extends z.ZodType>(schema: S): z.output<S> => {
    const r = schema.safeParse(json);
    if (!r.success) throw fromZodError(r.error, "ONION_BAD_LAYER");
    return r.data;
  };
  if ("headers" in json) {
    const f = tryParse(finalHopSchema);
    const out: OnionRouting = { kind: "final" };
    if (f.json !== undefined) out.json = f.json;
    if (f.base64 !== undefined) out.base64 = f.base64;
    return out;
  }
  if ("host" in json) {
    const s = tryParse(relayToServerSchema);
    return { kind: "server", ...s, port: s.port ?? (s.protocol === "https" ? 443 : 80) };
  }
  return { kind: "node", ...tryParse(relayToNodeSchema) };
}

/** Routing object for relaying to the next node (what a client puts in each layer). */
export function relayToNodeInfo(destinationEd25519Hex: string, ephemeralKeyHex: string, encType: EncType) {
  return { destination: destinationEd25519Hex, ephemeral_key: ephemeralKeyHex, enc_type: encType };
}

/** Routing object marking the last node as the destination (libsession uses `{"headers": ""}`). */
export const FINAL_HOP_CONTROL = { headers: "" } as const;

/**
 * oxenss only relays to URL targets under /loki/ or /oxen/ ending in /lsrpc without a query string
 * (onion_processing.cpp `is_onion_url_target_allowed`). Session's own servers are reached through
 * /oxen/v4/lsrpc (v4 requests) or /loki/v3/lsrpc.
 */
export function isOnionUrlTargetAllowed(target: string): boolean {
  return (
    (target.startsWith("/loki/") || target.startsWith("/oxen/")) &&
    target.endsWith("/lsrpc") &&
    !target.includes("?")
  );
}

/** Onion requests stop after this many hops (libsession builder.cpp: terminates above 15). */
export const ONION_MAX_HOPS = 15;
