import { ed25519PkToX25519, isValidEd25519Point, toHex, verify } from "@session/crypto";
import { sql } from "drizzle-orm";
import type { DomainDeps } from "../domain/context.ts";
import { type User, userForSigner } from "../domain/users.ts";
import { SogsError } from "../errors.ts";
import { AuthHeaderError, type HeaderGetter, parseAuthHeaders, signedMessage } from "./signature.ts";

export interface IncomingRequest {
  method: string;
  /** SOGS PATH: percent-decoded path plus `?query` when there is one. */
  pathAndQuery: string;
  header: HeaderGetter;
  body: Uint8Array;
}

/**
 * Authenticates a request as SOGS does (sogs/routes/auth.py handle_http_auth): null for an
 * anonymous request; 400 for unparseable headers, 425 for a stale timestamp or a reused nonce,
 * 403 for a globally banned user (before the signature is even checked), 401 for a bad signature.
 * Unlike pysogs (00 and 15 only) 25-blinded keys are accepted too.
 */
export async function authenticate(deps: DomainDeps, req: IncomingRequest): Promise<User | null> {
  let headers: ReturnType<typeof parseAuthHeaders>;
  try {
    headers = parseAuthHeaders(req.header);
  } catch (err) {
    if (err instanceof AuthHeaderError) throw new SogsError(400, err.message, { cause: err });
    throw err;
  }
  if (!headers) return null;
  const prefix = headers.pubkey[0]!;
  const key = headers.pubkey.subarray(1);
  if (prefix !== 0x00 && prefix !== 0x15 && prefix !== 0x25) {
    throw new SogsError(400, "Invalid authentication: X-SOGS-Pubkey must be 00-, 15- or 25- prefixed");
  }
  if (!isValidEd25519Point(key)) {
    throw new SogsError(400, "Invalid authentication: given X-SOGS-Pubkey is not a valid Ed25519 pubkey");
  }
  let sessionId: string;
  if (prefix === 0x00) {
    if (deps.limits.requireBlinded) {
      throw new SogsError(400, "Invalid authentication: this server requires the use of blinded ids");
    }
    sessionId = `05${toHex(ed25519PkToX25519(key))}`;
  } else {
    sessionId = `${prefix.toString(16)}${toHex(key)}`;
  }
  const nowS = deps.now() / 1000;
  const window = deps.limits.timestampWindowSeconds;
  if (!(nowS - window <= headers.timestamp && headers.timestamp <= nowS + window)) {
    throw new SogsError(425, "Invalid authentication: X-SOGS-Timestamp is too far from current time");
  }
  const user = await userForSigner(deps, sessionId);
  if (user.banned) throw new SogsError(403, "Banned");
  // Nonces are kept for twice the timestamp window: a replay after that has a refused timestamp.
  const fresh = await deps.db.exec(sql`INSERT INTO request_nonces (user_id, nonce, expiry)
    VALUES (${user.id}, ${Buffer.from(headers.nonce)}, ${nowS + 2 * window}) ON CONFLICT (user_id, nonce) DO NOTHING`);
  if (fresh === 0) throw new SogsError(425, "Invalid authentication: X-SOGS-Nonce cannot be reused");
  const message = signedMessage({
    serverPk: deps.serverPk,
    nonce: headers.nonce,
    timestampText: headers.timestampText,
    method: req.method,
    pathAndQuery: req.pathAndQuery,
    body: req.body,
  });
  if (!verify(headers.signature, message, key)) {
    throw new SogsError(401, "Invalid authentication: X-SOGS-Signature verification failed");
  }
  await deps.db.exec(sql`UPDATE users SET last_active = ${nowS} WHERE id = ${user.id}`);
  return user;
}
