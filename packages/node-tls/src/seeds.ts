import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { Agent, buildConnector, type Dispatcher } from "undici";
import { NodeTlsError } from "./errors.ts";
import { type DispatcherFetch, fetchThrough } from "./node-http.ts";

/**
 * A seed node: where a client fetches its first node list. Over https it must carry the SHA-256
 * fingerprint of the exact certificate the seed serves (what `openssl x509 -noout -fingerprint
 * -sha256 -in tls.crt` prints): the node list decides which keys everything else is encrypted
 * to, so it is the one answer that must come from the right server.
 */
export interface PinnedSeed {
  /** `https://host:port` (or `http://` on a plain-HTTP devnet); no trailing slash. */
  url: string;
  /** Upper-case, colon-separated SHA-256 of the certificate's DER; required for https. */
  certSha256?: string;
}

const PIN_FRAGMENT = /^sha256=([0-9a-fA-F:]+)$/;

/** `AB:CD:…` (64 hex digits, colons optional, any case) → upper-case colon-separated form. */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.replaceAll(":", "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new NodeTlsError(
      "BAD_SEED",
      `certificate pin must be a SHA-256 fingerprint (64 hex digits): "${fp}"`,
    );
  return hex.toUpperCase().match(/../g)!.join(":");
}

/** The SHA-256 fingerprint of a PEM or DER certificate, in the form `PinnedSeed.certSha256` uses. */
export function certFingerprint(cert: string | Uint8Array): string {
  return new X509Certificate(cert).fingerprint256;
}

/**
 * A seed from its object form or its one-string form `https://host:port#sha256=<fingerprint>`
 * (the fragment is never sent, so the string works wherever a URL list is configured). An https
 * seed without a pin is refused.
 */
export function parseSeed(seed: string | PinnedSeed): PinnedSeed {
  const raw = typeof seed === "string" ? seed : seed.url;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch (cause) {
    throw new NodeTlsError("BAD_SEED", `seed is not a URL: "${raw}"`, { cause });
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new NodeTlsError("BAD_SEED", `seed must be an http(s) URL: "${raw}"`);
  if (u.search || u.username || u.password)
    throw new NodeTlsError("BAD_SEED", `seed URL must not carry a query or credentials: "${raw}"`);
  let pin = typeof seed === "string" ? undefined : seed.certSha256;
  if (u.hash) {
    const m = PIN_FRAGMENT.exec(u.hash.slice(1));
    if (!m) throw new NodeTlsError("BAD_SEED", `seed URL fragment must be #sha256=<fingerprint>: "${raw}"`);
    if (pin !== undefined && normalizeFingerprint(pin) !== normalizeFingerprint(m[1]!))
      throw new NodeTlsError("BAD_SEED", `seed "${raw}" has two different pins`);
    pin = m[1];
  }
  const url = `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
  if (u.protocol === "http:") {
    if (pin !== undefined)
      throw new NodeTlsError("BAD_SEED", `a certificate pin needs an https seed: "${raw}"`);
    return { url };
  }
  if (pin === undefined)
    throw new NodeTlsError(
      "SEED_NOT_PINNED",
      `https seed ${url} has no certificate pin: give it as ${url}#sha256=<SHA-256 fingerprint of its certificate>`,
    );
  return { url, certSha256: normalizeFingerprint(pin) };
}

/** The seed's one-string form (`parseSeed` reads it back). */
export function formatSeed(seed: PinnedSeed): string {
  return seed.certSha256 ? `${seed.url}#sha256=${seed.certSha256}` : seed.url;
}

/** A dispatcher that completes TLS only with a server presenting exactly the pinned certificate. */
function pinnedAgent(seed: PinnedSeed & { certSha256: string }, timeoutMs: number): Agent {
  // The pin replaces the chain check (seeds are self-signed) and is stronger than it; no TLS session
  // cache, so every connection shows its certificate.
  const tls = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0, timeout: timeoutMs });
  const connect: buildConnector.connector = (options, callback) =>
    tls(options, (err, socket) => {
      if (err) return callback(err, null);
      const got = (socket as TLSSocket).getPeerCertificate().fingerprint256;
      if (got !== seed.certSha256) {
        socket.destroy();
        return callback(
          new NodeTlsError(
            "SEED_CERT_MISMATCH",
            `seed ${seed.url} presented certificate ${got || "(none)"}, which does not match its pin ${seed.certSha256}`,
          ),
          null,
        );
      }
      callback(null, socket);
    });
  return new Agent({ connect });
}

/**
 * `fetch` for seed bootstrap: it reaches only the given seeds, https seeds only when they show
 * their pinned certificate (else it rejects with NodeTlsError "SEED_CERT_MISMATCH" before any
 * request is sent). Any other URL is refused with "NOT_A_SEED".
 */
export function seedHttp(
  seeds: readonly (string | PinnedSeed)[],
  opts: { connectTimeoutMs?: number } = {},
): DispatcherFetch {
  const timeout = opts.connectTimeoutMs ?? 10_000;
  const plain = new Agent({ connect: { timeout } });
  const byOrigin = new Map<string, Dispatcher>();
  const agents: Agent[] = [plain];
  for (const s of seeds.map(parseSeed)) {
    const origin = new URL(s.url).origin;
    if (byOrigin.has(origin)) continue;
    if (s.certSha256) {
      const a = pinnedAgent({ ...s, certSha256: s.certSha256 }, timeout);
      agents.push(a);
      byOrigin.set(origin, a);
    } else byOrigin.set(origin, plain);
  }
  const f = (async (input: string | URL, init?: RequestInit) => {
    const origin = new URL(String(input)).origin;
    const dispatcher = byOrigin.get(origin);
    if (!dispatcher) throw new NodeTlsError("NOT_A_SEED", `${origin} is not one of the configured seeds`);
    try {
      return await fetchThrough(dispatcher)(input, init);
    } catch (err) {
      // undici wraps connector errors in "fetch failed": surface the pin failure itself.
      const cause = (err as { cause?: unknown }).cause;
      throw cause instanceof NodeTlsError ? cause : err;
    }
  }) as typeof fetch;
  return {
    fetch: f,
    dispatcher: plain,
    close: async () => {
      await Promise.all(agents.map((a) => a.close()));
    },
  };
}
