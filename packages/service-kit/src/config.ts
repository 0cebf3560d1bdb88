import { SessionError } from "@session/errors";
import { z } from "zod";

/** Invalid settings, one line per problem in `issues` (also its `details`). Never retryable. */
export class ConfigError extends SessionError<"CONFIG_INVALID"> {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super("CONFIG_INVALID", message, { ...options, details: issues });
  }
}

// Variables several services read the same way, for their env schemas.

/** A yes/no variable: 1/true/yes or 0/false/no. */
export const envFlag = z
  .enum(["1", "0", "true", "false", "yes", "no"])
  .transform((v) => v === "1" || v === "true" || v === "yes");

/** `LOG_LEVEL`: a pino level, `info` by default; `silent` turns logging off (tests). */
export const logLevelEnv = {
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};

/**
 * `DATABASE_URL` (postgres://… or sqlite:<path>; unset: the service's own SQLite file) and
 * `DATABASE_SCHEMA` (a PostgreSQL schema to keep the tables in, e.g. one per test run).
 */
export const databaseEnv = {
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, "expected postgres://… or sqlite:<path>")
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .optional(),
};

interface LoadConfigOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Service name used in the message. */
  name?: string;
  /** On invalid config: print the message to stderr and exit(1) (default) or throw ConfigError. */
  onInvalid?: "exit" | "throw";
  /**
   * Command-line arguments (`process.argv.slice(2)`), over the environment: `--port 8080` or
   * `--port=8080` sets PORT (a variable's name in lower case with dashes); a flag with no value
   * sets "1". `--help` prints the flags and exits.
   */
  argv?: readonly string[];
  /** Shorter flag names, e.g. `{ "data-dir": "SESSION_NODE_DATA_DIR" }`. */
  flagAliases?: Readonly<Record<string, string>>;
}

const flagOf = (variable: string) => variable.toLowerCase().replaceAll("_", "-");

/**
 * The variables `argv` sets. Unknown flags and stray arguments are errors, listed like the
 * schema's, with the flags there are; `--help` is answered with that list.
 */
function flagsToEnv(
  argv: readonly string[],
  known: readonly string[] | undefined,
  aliases: Readonly<Record<string, string>>,
): { env: Record<string, string>; issues: string[]; help: boolean } {
  const env: Record<string, string> = {};
  const issues: string[] = [];
  let help = false;
  const byFlag = new Map<string, string>();
  for (const v of known ?? []) byFlag.set(flagOf(v), v);
  for (const [alias, v] of Object.entries(aliases)) byFlag.set(alias, v);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (arg === "--") continue; // what `pnpm start -- --port 80` passes through
    if (!arg.startsWith("--") || arg.length < 3) {
      issues.push(`${arg}: not a flag (flags look like --port 8080 or --port=8080)`);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const variable = byFlag.get(name) ?? (known ? undefined : name.toUpperCase().replaceAll("-", "_"));
    if (!variable) {
      issues.push(`--${name}: unknown flag`);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) value = argv[++i]!;
    else value = "1";
    env[variable] = value;
  }
  return { env, issues, help };
}

/** The variable names of an object schema (refined or not), when zod exposes them. */
function variablesOf(schema: z.ZodType): string[] | undefined {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : undefined;
}

/**
 * Parses environment variables with a zod schema. Every problem is listed on its own line as
 * `VAR_NAME: what is wrong`, so an operator can fix them all in one go.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions = {}): z.output<S> {
  const known = variablesOf(schema);
  const aliases = options.flagAliases ?? {};
  const flags = flagsToEnv(options.argv ?? [], known, aliases);
  const name = options.name ?? "service";
  if (flags.help) {
    const names = Object.fromEntries(Object.entries(aliases).map(([a, v]) => [v, a]));
    const lines = (known ?? []).map(
      (v) => `  --${names[v] ?? flagOf(v)} <value>   (or ${v} in the environment)`,
    );
    process.stdout.write(
      `${name}: every setting is a flag or an environment variable\n${lines.join("\n")}\n`,
    );
    process.exit(0);
  }
  const result = schema.safeParse({ ...(options.env ?? process.env), ...flags.env });
  const issues = [
    ...flags.issues,
    ...(result.success
      ? []
      : result.error.issues.map((i) => `${i.path.map(String).join(".") || "(env)"}: ${i.message}`)),
  ];
  if (result.success && issues.length === 0) return result.data;
  if (flags.issues.length > 0 && known) {
    issues.push(
      `flags: ${known.map((v) => `--${flagOf(v)}`).join(" ")}${Object.keys(aliases)
        .map((a) => ` --${a}`)
        .join("")}`,
    );
  }
  const message = `invalid ${name} configuration:\n  ${issues.join("\n  ")}`;
  if ((options.onInvalid ?? "exit") === "throw") throw new ConfigError(message, issues);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
