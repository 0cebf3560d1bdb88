import { homedir } from "node:os";
import { join } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { ClientError } from "../errors.ts";
import { loadIdentity } from "../identity.ts";

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

type SubcommandArgs<O> = { args: string[]; allowPositionals: true; options: typeof sharedOptions & O };

/** A `session <sub>` command's argv, read with its own `options` besides the shared ones. */
export function parseSubcommand<const O extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<SubcommandArgs<O>>> {
  return parseArgs({ args: argv, allowPositionals: true, options: { ...sharedOptions, ...options } });
}

/**
 * The start of a `session <sub>` command, from its parsed options and positionals: null (after
 * printing `usage`) for --help or no command; else the command, its arguments, the data dir and
 * the identity kept there.
 */
export function startSubcommand(
  values: { help?: boolean | undefined; "data-dir"?: string | undefined },
  positionals: readonly string[],
  usage: string,
  out: (s: string) => void,
) {
  const [cmd, ...args] = positionals;
  if (values.help || !cmd) {
    out(usage);
    return null;
  }
  const dataDir = dataDirOf(values["data-dir"]);
  return { cmd, args, dataDir, identity: loadIdentity(dataDir) };
}
