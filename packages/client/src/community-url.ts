// Session's community links: `https://host/room?public_key=<hex>` read into the server, the room
// and the server's X25519 key a Community needs.
import { ClientError } from "./errors.ts";

export interface CommunityUrl {
  /** Server base URL, e.g. https://open.example.org */
  baseUrl: string;
  room: string;
  /** The server's X25519 public key, hex. */
  serverPk: string;
}

/**
 * Parses `https://host[:port]/room?public_key=<64 hex>` (the room may also be `/r/room`).
 *
 * @example
 * ```ts
 * import { parseCommunityUrl } from "@session/client";
 *
 * const { baseUrl, room, serverPk } = parseCommunityUrl("https://open.example.org/r/hikers?public_key=" + "ab".repeat(32));
 * ```
 */
export function parseCommunityUrl(url: string): CommunityUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new ClientError("BAD_COMMUNITY_URL", `not a community URL: ${url}`, undefined, { cause });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new ClientError("BAD_COMMUNITY_URL", "community URL must be http(s)");
  const key = u.searchParams.get("public_key") ?? "";
  if (!/^[0-9a-fA-F]{64}$/.test(key))
    throw new ClientError("BAD_COMMUNITY_URL", "community URL needs ?public_key=<64 hex>");
  const parts = u.pathname.split("/").filter(Boolean);
  const room = parts.length === 2 && parts[0] === "r" ? parts[1] : parts.length === 1 ? parts[0] : undefined;
  if (!room || !/^[\w-]{1,64}$/.test(room))
    throw new ClientError("BAD_COMMUNITY_URL", "community URL must name one room");
  return { baseUrl: `${u.protocol}//${u.host}`, room, serverPk: key.toLowerCase() };
}
