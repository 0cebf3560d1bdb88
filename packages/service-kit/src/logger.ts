import type { MiddlewareHandler } from "hono";
import { type Logger, type LoggerOptions, pino } from "pino";
import { serializeErrorForLog } from "./error-log.ts";

/**
 * Fields that identify a person or a connection. Our services carry anonymous traffic: an IP,
 * a Session ID or a file id in a log line would let an operator link requests, so they are
 * replaced before the line is written.
 */
const REDACTED_FIELDS = [
  "ip",
  "remoteAddress",
  "remotePort",
  "x-forwarded-for",
  "x-real-ip",
  "id",
  "fileId",
  "sessionId",
  "pubkey",
  "accountId",
  "token",
] as const;

function redactPaths(fields: readonly string[]): string[] {
  const paths: string[] = [];
  for (const f of fields) {
    const key = /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`;
    const join = (prefix: string) => (key.startsWith("[") ? `${prefix}${key}` : `${prefix}.${key}`);
    paths.push(key, join("*"), join("req"), join("req.headers"), join("err"));
  }
  return paths;
}

interface CreateLoggerOptions {
  /** Service name, written as `name` on every line. */
  name: string;
  /** pino level; defaults to `info`. `silent` turns logging off (tests). */
  level?: string;
  /** Extra field names to redact, in addition to REDACTED_FIELDS. */
  redact?: readonly string[];
  /** Where lines go (defaults to stdout); tests pass a stream to inspect output. */
  destination?: NodeJS.WritableStream;
}

/**
 * Structured JSON logger with identifying fields (IPs, ids, pubkeys) censored, and `err` written
 * as class, code and stack frames without its message (see serializeErrorForLog).
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? "info",
    redact: {
      paths: redactPaths([...REDACTED_FIELDS, ...(options.redact ?? [])]),
      censor: "[redacted]",
    },
    // An error's message can hold what a client sent: only its class, code and frames are logged.
    serializers: { err: serializeErrorForLog },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

export type { Logger };

/**
 * Logs one line per request at `level` with method, route pattern, status and duration — never
 * the concrete path (it holds ids) nor the caller's address.
 */
export function requestLogger(logger: Logger, level: "debug" | "info" = "debug"): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        method: c.req.method,
        route: c.req.routePath || "unmatched",
        status: c.res.status,
        ms: Math.round((performance.now() - start) * 10) / 10,
      },
      "request",
    );
  };
}
