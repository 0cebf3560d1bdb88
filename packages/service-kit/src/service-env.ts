import { z } from "zod";
import { logLevelEnv } from "./config.ts";
import {
  type ConnectionLimits,
  checkConnectionLimitsEnv,
  connectionLimitsEnv,
  connectionLimitsFromEnv,
} from "./connection-limits.ts";

/** An integer variable: `def` when unset, never below `min`. */
export const envInt = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const serviceShape = (limits: Partial<ConnectionLimits>) => ({
  ...logLevelEnv,
  ...connectionLimitsEnv(limits),
});
type ServiceShape = ReturnType<typeof serviceShape>;

/** What every HTTP service's config holds besides its own settings. */
export interface ServiceSettings {
  logLevel: string;
  /** HTTP(S) timeouts and the per-address connection cap (service-kit's defaults when absent). */
  connections?: ConnectionLimits | undefined;
}

/**
 * A service's env schema: its own variables, then the ones every HTTP service reads alike
 * (`LOG_LEVEL`, the connection limits with `limits` over service-kit's defaults). `check` adds the
 * service's cross-variable rules; the connection limits are checked after it.
 */
export function serviceEnvSchema<S extends z.ZodRawShape>(
  shape: S,
  options: {
    limits?: Partial<ConnectionLimits>;
    check?: (env: z.output<z.ZodObject<S & ServiceShape>>, ctx: z.RefinementCtx) => void;
  } = {},
) {
  const schema = z.object({ ...shape, ...serviceShape(options.limits ?? {}) }) as z.ZodObject<
    S & ServiceShape
  >;
  return schema.superRefine((env, ctx) => {
    options.check?.(env, ctx);
    // With S generic, TypeScript cannot see the limit variables in `env`; the shape has them.
    checkConnectionLimitsEnv(env as unknown as z.output<z.ZodObject<ServiceShape>>, ctx);
  });
}

/** The `ServiceSettings` of an env parsed with a `serviceEnvSchema`. */
export function serviceSettingsFromEnv(env: z.output<z.ZodObject<ServiceShape>>): Required<ServiceSettings> {
  return { logLevel: env.LOG_LEVEL, connections: connectionLimitsFromEnv(env) };
}
