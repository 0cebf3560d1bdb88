import { decryptOnsResponse, fromHex, isSessionId, nameHashBase64, normalizeName } from "@session/crypto";
import { isRetryable } from "@session/errors";
import type { NodeInfo } from "@session/protocol";
import { z } from "zod";
import { ClientError } from "./errors.ts";

const answerSchema = z.object({
  result: z.object({
    encrypted_value: z
      .string()
      .regex(/^[0-9a-fA-F]+$/)
      .optional(),
    nonce: z
      .string()
      .regex(/^[0-9a-fA-F]{48}$/)
      .optional(),
  }),
});

export interface OnionNameResolverOptions {
  /** How many different nodes must give the same answer (Session clients ask 3). */
  confirmations?: number;
  random?: () => number;
}

/** A node's `ons_resolve` answer: the Session ID it decrypts to, or null when none is registered. */
function openAnswer(normalized: string, body: unknown): string | null {
  const { result } = answerSchema.parse(body);
  if (!result.encrypted_value || !result.nonce) return null;
  try {
    return decryptOnsResponse(normalized, fromHex(result.encrypted_value), fromHex(result.nonce));
  } catch (cause) {
    throw new ClientError("NAME_NOT_FOUND", `the record of "${normalized}" does not decrypt`, undefined, {
      cause,
    });
  }
}

/**
 * Name resolution as real Session clients do it: `oxend_request` → `ons_resolve` `{ type: 0,
 * name_hash }` (base64 of BLAKE2b-256 of the lower-cased name) sent through onion paths to several
 * random nodes, which answer from the chain; every answer must decrypt (libsession's
 * `decrypt_ons_response`, with the name) to the same Session ID. No node learns the client's IP
 * beside the hash, and no indexer is contacted. A node that cannot be reached (or answers a 5xx)
 * is replaced by another random one. `client.resolveNameOnion` is this resolver over the client's
 * own paths.
 *
 * @example
 * ```ts
 * import { onionNameResolver } from "@session/client";
 *
 * const resolve = onionNameResolver(
 *   (node, method, params) => client.transport.rpc(node, method, params),
 *   () => client.pool.list(),
 *   { confirmations: 3 },
 * );
 * const bob = await resolve("bob");
 * ```
 */
export function onionNameResolver(
  rpc: (dest: NodeInfo, method: string, params: unknown) => Promise<{ status: number; body: unknown }>,
  nodes: () => readonly NodeInfo[],
  opts: OnionNameResolverOptions = {},
) {
  const want = opts.confirmations ?? 3;
  const random = opts.random ?? Math.random;
  return async (name: string): Promise<string> => {
    let normalized: string;
    try {
      normalized = normalizeName(name);
    } catch (cause) {
      throw new ClientError("NAME_NOT_FOUND", `"${name}" is not a valid name`, undefined, { cause });
    }
    const pool = [...nodes()];
    if (pool.length === 0) throw new ClientError("NETWORK_UNAVAILABLE", "no nodes known: connect first");
    const draw = (): NodeInfo | undefined => pool.splice(Math.floor(random() * pool.length), 1)[0];
    const params = { endpoint: "ons_resolve", params: { type: 0, name_hash: nameHashBase64(normalized) } };
    // One confirmation: a node that cannot be reached (or answers a 5xx) is replaced by another
    // random one, so one dead node among the picks does not fail the lookup; a node that answers
    // but whose record does not decrypt ends it (that is the answer, not a network fault).
    const confirm = async (): Promise<string | null> => {
      let lastErr: unknown;
      for (let dest = draw(); dest; dest = draw()) {
        try {
          const r = await rpc(dest, "oxend_request", params);
          if (r.status === 200) return openAnswer(normalized, r.body);
          const failed = new ClientError(
            "NAME_RESOLUTION_UNAVAILABLE",
            `name lookup failed (${r.status})`,
            r.status,
          );
          if (r.status < 500) throw failed;
          lastErr = failed;
        } catch (err) {
          if (!isRetryable(err, true)) throw err;
          lastErr = err;
        }
      }
      throw lastErr ?? new ClientError("NOT_ENOUGH_NODES", "not enough reachable nodes to confirm a name");
    };
    const answers = await Promise.all(Array.from({ length: Math.min(want, pool.length) }, confirm));
    if (answers.every((a) => a === null))
      throw new ClientError("NAME_NOT_FOUND", `no Session ID is registered as "${normalized}"`);
    if (new Set(answers).size !== 1)
      throw new ClientError("NAME_RESOLUTION_UNAVAILABLE", `nodes disagree about "${normalized}"`);
    const id = answers[0]!;
    if (!id.startsWith("05"))
      throw new ClientError("NAME_NOT_FOUND", `"${normalized}" does not point to a Session ID`);
    return id;
  };
}

/** `to` as a Session ID: one given (lower-cased), or a name resolved by `resolveName` (BAD_RECIPIENT otherwise). */
export async function recipientSessionId(
  to: string,
  resolveName: (name: string) => Promise<string>,
): Promise<string> {
  if (isSessionId(to, 0x05)) return to.toLowerCase();
  if (/^[0-9a-fA-F]{66}$/.test(to))
    throw new ClientError("BAD_RECIPIENT", `not a Session ID (must start with 05): ${to}`);
  return resolveName(to);
}
