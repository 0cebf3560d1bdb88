import type { z } from "zod";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly issues: readonly string[],
  ) {
    super(message);
  }
}

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Service name used in the message. */
  name?: string;
  /** On invalid config: print the message to stderr and exit(1) (default) or throw ConfigError. */
  onInvalid?: "exit" | "throw";
}

/**
 * Parses environment variables with a zod schema. Every problem is listed on its own line as
 * `VAR_NAME: what is wrong`, so an operator can fix them all in one go.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions = {}): z.output<S> {
  const result = schema.safeParse(options.env ?? process.env);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.map(String).join(".") || "(env)"}: ${i.message}`);
  const message = `invalid ${options.name ?? "service"} configuration:\n  ${issues.join("\n  ")}`;
  if ((options.onInvalid ?? "exit") === "throw") throw new ConfigError(message, issues);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
