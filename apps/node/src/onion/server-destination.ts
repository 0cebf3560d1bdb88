import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { SessionError } from "@session/errors";
import type { OnionServerDestination } from "@session/protocol/onion";
import ipaddr from "ipaddr.js";
import { Agent } from "undici";
import { dispatcherPost, type NodePost } from "./http.ts";

/*
 * Which HTTP(S) servers a final onion hop may reach. The client chooses host and port, so without
 * a check any node would POST on a client's behalf to its own loopback services, the operator's
 * private network or cloud metadata addresses. Only public unicast addresses on allowed ports are
 * reached: IP literals are checked before connecting, names after resolving, and the connection
 * goes to the address that was checked (the agent's `lookup` hands the socket exactly the checked
 * addresses), so a name that resolves differently a second time (DNS rebinding) cannot slip a
 * private address in. Redirects are never followed (undici `request` relays the 3xx as it is).
 */

/** Where final hops may connect (config `onionServers`). */
export interface OnionServerPolicy {
  /** Loopback, private, link-local, … addresses allowed: loopback devnets and tests only. */
  allowPrivateAddresses: boolean;
  /** Ports a final hop may connect to; "any" only for tests whose servers listen on port 0. */
  allowedPorts: readonly number[] | "any";
}

export const DEFAULT_ONION_SERVER_POLICY: OnionServerPolicy = {
  allowPrivateAddresses: false,
  allowedPorts: [443, 80],
};

/** A destination this node will not connect to; the client gets the encrypted 400 "Invalid url". */
export class DestinationRefusedError extends SessionError<"ONION_DESTINATION_REFUSED"> {
  override readonly name = "DestinationRefusedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ONION_DESTINATION_REFUSED", message, options);
  }
}

/**
 * True for a globally routable unicast address. Everything ipaddr.js does not classify as
 * "unicast" is refused: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
 * (169.254/16, fe80::/10), multicast, unspecified, broadcast, carrier-grade NAT, reserved,
 * documentation and benchmarking ranges, and IPv6 forms that embed an IPv4 address we would
 * reach instead (6to4, Teredo, NAT64). IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as its IPv4.
 */
export function isPublicAddress(text: string): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(text);
  } catch {
    return false;
  }
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr.range() === "unicast";
}

/** Whether the port is allowed; IP literals are judged here too (they are never looked up). */
export function checkDestination(dest: OnionServerDestination, policy: OnionServerPolicy): void {
  if (policy.allowedPorts !== "any" && !policy.allowedPorts.includes(dest.port)) {
    throw new DestinationRefusedError("port not allowed");
  }
  if (dest.hostKind !== "dns" && !policy.allowPrivateAddresses && !isPublicAddress(dest.host)) {
    throw new DestinationRefusedError("address not allowed");
  }
}

type Resolve = (host: string, cb: (err: Error | null, addrs: LookupAddress[]) => void) => void;

const systemResolve: Resolve = (host, cb) => dnsLookup(host, { all: true, verbatim: true }, cb);

/**
 * A `net.connect` lookup that resolves the name and refuses it unless every address is public
 * (a name with one private address among public ones is refused whole: the socket could pick it).
 */
export function guardedLookup(policy: OnionServerPolicy, resolve: Resolve = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (err, found) => {
      if (err) return callback(err, "", 0);
      const family = typeof options === "object" ? options.family : undefined;
      const wanted = family === 4 || family === 6 ? found.filter((a) => a.family === family) : found;
      if (wanted.length === 0)
        return callback(Object.assign(new Error("no address"), { code: "ENOTFOUND" }), "", 0);
      if (!policy.allowPrivateAddresses && !wanted.every((a) => isPublicAddress(a.address))) {
        return callback(new DestinationRefusedError("address not allowed"), "", 0);
      }
      if (typeof options === "object" && options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
      } else {
        callback(null, wanted[0]!.address, wanted[0]!.family);
      }
    });
  };
}

/** True when `err` (or any error in its cause chain) is a refused destination. */
export function isDestinationRefused(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof DestinationRefusedError) return true;
  }
  return false;
}

/**
 * The POST final hops use: an undici agent whose sockets connect only to checked addresses
 * (certificates verified as usual; TLS SNI and the Host header stay the client's host name).
 */
export function serverPost(
  policy: OnionServerPolicy,
  resolve?: Resolve,
): { post: NodePost; close(): Promise<void> } {
  const agent = new Agent({
    connect: { lookup: guardedLookup(policy, resolve) },
    keepAliveTimeout: 10_000,
    connections: 64,
  });
  return { post: dispatcherPost(agent), close: () => agent.close() };
}
