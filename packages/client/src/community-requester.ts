// How a Community's signed requests reach the server: through onion paths (the normal way) or as
// plain HTTP (operators and tests).

import type { CommunityUrl } from "./community-url.ts";
import type { OnionTransport } from "./network/transport.ts";

export interface CommunityResponse {
  code: number;
  headers: Record<string, string>;
  body: Uint8Array;
}
export type CommunityRequester = (
  info: { method: string; endpoint: string; headers: Record<string, string> },
  body?: Uint8Array,
) => Promise<CommunityResponse>;

/**
 * Requests to the community server through 3-hop onion paths (the normal way).
 *
 * @example
 * ```ts
 * import { Community, onionRequester, parseCommunityUrl } from "@session/client";
 *
 * const url = parseCommunityUrl(link);
 * const room = new Community(me.keys.ed25519.secretKey, url, onionRequester(client.transport, url));
 * ```
 */
export function onionRequester(transport: OnionTransport, c: CommunityUrl): CommunityRequester {
  const u = new URL(c.baseUrl);
  const protocol = u.protocol === "https:" ? "https" : "http";
  const target = {
    host: u.hostname,
    port: Number(u.port || (protocol === "https" ? 443 : 80)),
    protocol,
    x25519: c.serverPk,
  } as const;
  return (info, body) => transport.serverRequest(target, info, body);
}

/**
 * Plain HTTP requests (operators, tests; a server normally refuses them).
 *
 * @example
 * ```ts
 * import { Community, directRequester, parseCommunityUrl } from "@session/client";
 *
 * const url = parseCommunityUrl(link);
 * const room = new Community(me.keys.ed25519.secretKey, url, directRequester(url));
 * ```
 */
export function directRequester(c: CommunityUrl, f: typeof fetch = fetch): CommunityRequester {
  return async (info, body) => {
    const path = info.endpoint.replace(/[^\x20-\x7e]+/g, (s) => encodeURIComponent(s));
    const res = await f(`${c.baseUrl}${path}`, {
      method: info.method,
      headers: info.headers,
      ...(body ? { body: body as Uint8Array<ArrayBuffer> } : {}),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { code: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
  };
}
