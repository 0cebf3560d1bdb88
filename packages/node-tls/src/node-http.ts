import { Agent, type Dispatcher, fetch as undiciFetch } from "undici";

/** A fetch bound to one dispatcher, with the dispatcher itself and a way to close its connections. */
export interface DispatcherFetch {
  fetch: typeof fetch;
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

interface NodeHttpOptions {
  /** TCP connect + TLS handshake timeout (ms); default 10 s. */
  connectTimeoutMs?: number;
  /** Keep-alive connections per node origin; default unlimited (undici's default). */
  connections?: number;
}

/** `fetch` that always goes through `dispatcher` (undici's fetch: the global one cannot be given a dispatcher portably). */
export function fetchThrough(dispatcher: Dispatcher): typeof fetch {
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

/**
 * HTTP(S) for storage-node URLs, and nothing else.
 *
 * Nodes serve TLS with a self-signed certificate that names no identity (as oxen-storage-server
 * does), so the chain and host name are not checked here: TLS only hides the traffic from passive
 * observers. A node is authenticated by its registered keys instead: every client request is an
 * onion request whose layers are encrypted to each hop's registered X25519 key, and whose reply is
 * encrypted with the destination's key, so a man in the middle with its own certificate sees and
 * can forge nothing (it can only drop traffic, which it could anyway). The node list those keys
 * come from is fetched from pinned seeds (`seedHttp`).
 *
 * Use it only for node URLs: every other HTTPS request (indexer, file server, push providers)
 * keeps a certificate-checking fetch. Nothing here changes the global dispatcher or
 * NODE_TLS_REJECT_UNAUTHORIZED.
 */
export function nodeHttp(opts: NodeHttpOptions = {}): DispatcherFetch {
  const dispatcher = new Agent({
    connect: { rejectUnauthorized: false, timeout: opts.connectTimeoutMs ?? 10_000 },
    ...(opts.connections !== undefined ? { connections: opts.connections } : {}),
  });
  return { fetch: fetchThrough(dispatcher), dispatcher, close: () => dispatcher.close() };
}
