import { loadConfig } from "@session/service-kit";
import { z } from "zod";

/** The example services this package runs; `EXAMPLE` picks one in the image. */
export const EXAMPLES = ["2fa", "broadcaster"] as const;
export type ExampleName = (typeof EXAMPLES)[number];

/**
 * Environment of an example service: the `session` CLI's variables (SESSION_NETWORK,
 * SESSION_DATA_DIR) plus where to listen. README.md documents each one.
 */
export const envSchema = z.object({
  EXAMPLE: z.enum(EXAMPLES, { message: `must be one of ${EXAMPLES.join(", ")}` }).optional(),
  SESSION_NETWORK: z
    .string({ message: "required: a seed node (the devnet prints an export line with it)" })
    .min(1, "required: a seed node (the devnet prints an export line with it)"),
  SESSION_DATA_DIR: z
    .string({ message: "required: the service's data directory (identity and store)" })
    .min(1, "required: the service's data directory (identity and store)"),
  // 0: any free port (the chosen one is printed); the image's manifests pin 8200 / 8201.
  PORT: z.coerce
    .number({ message: "must be a port number" })
    .int("must be a port number")
    .min(0, "must be a port number")
    .max(65535, "must be a port number")
    .default(0),
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** The image's entry point (dist/main.js) serves whichever example EXAMPLE names: it is required there. */
export const imageEnvSchema = envSchema.extend({
  EXAMPLE: z.enum(EXAMPLES, { message: `required, one of ${EXAMPLES.join(", ")}` }),
});

export type ExampleConfig = z.output<typeof imageEnvSchema>;

/**
 * Parses the environment; every problem is one `VAR: what is wrong` line. With `example` the
 * entry point names the service itself (start:2fa); otherwise EXAMPLE must (imageEnvSchema).
 */
export function loadExampleConfig(
  options: {
    env?: Record<string, string | undefined>;
    example?: ExampleName;
    onInvalid?: "exit" | "throw";
  } = {},
): ExampleConfig {
  const common = {
    ...(options.env ? { env: options.env } : {}),
    onInvalid: options.onInvalid ?? "exit",
  } as const;
  if (!options.example) return loadConfig(imageEnvSchema, { name: "example service", ...common });
  const config = loadConfig(envSchema, { name: `${options.example} example`, ...common });
  return { ...config, EXAMPLE: options.example };
}
