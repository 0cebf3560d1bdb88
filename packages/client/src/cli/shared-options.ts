import { homedir } from "node:os";
import { join } from "node:path";
import { ClientError } from "../errors.ts";

/** The options every `session` command reads the same way (spread into its parseArgs options). */
export const sharedOptions = {
  network: { type: "string" },
  "data-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Where the identity is kept: --data-dir, else SESSION_DATA_DIR, else ~/.session-cli. */
export function dataDirOf(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return given ?? env.SESSION_DATA_DIR ?? join(homedir(), ".session-cli");
}

/** The seed node to join the network through: --network, else SESSION_NETWORK. */
export function requireSeed(given: string | undefined): string {
  const seed = given ?? process.env.SESSION_NETWORK;
  if (!seed)
    throw new ClientError(
      "NETWORK_UNAVAILABLE",
      "no network: pass --network <seed-url> or set SESSION_NETWORK",
    );
  return seed;
}
