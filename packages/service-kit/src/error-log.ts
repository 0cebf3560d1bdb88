/**
 * What a log line may say about an error. Messages are left out: they carry whatever the failing
 * code put in them, and that includes what clients sent (drizzle's "Failed query: … params: …"
 * lists every value of an insert, a file's name among them). What stays is bounded and chosen by
 * code, never by a client: the error's class, its `code` when it looks like one (`SQLITE_BUSY`,
 * `ECONNRESET`, a ProtocolError code, a PostgreSQL SQLSTATE), the stack frames, and the same for
 * its cause.
 */
interface LoggedError {
  type: string;
  code?: string;
  /** Stack frames only (the first line of a stack repeats the message). */
  stack?: string;
  cause?: LoggedError;
}

const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const TYPE = /^[A-Za-z_$][\w$]{0,63}$/;
const MAX_FRAMES = 12;
const MAX_CAUSES = 3;

/** `String(err)` as some callers log it: its leading class name and an errno-like code, no text. */
function loggedString(s: string): LoggedError {
  const type = /^([A-Za-z_$][\w$]{0,63}):/.exec(s)?.[1] ?? "string";
  const code = /\b(E[A-Z]{3,20}|ERR_[A-Z0-9_]{1,50}|SQLITE_[A-Z_]{1,40})\b/.exec(s)?.[1];
  return code ? { type, code } : { type };
}

function loggedError(err: unknown, depth: number): LoggedError {
  if (typeof err === "string") return loggedString(err);
  if (!(err instanceof Error)) return { type: typeof err };
  // Subclasses that keep name "Error" (drizzle's DrizzleQueryError) are told by their class.
  const ctor = err.constructor?.name;
  const name = err.name === "Error" && ctor && TYPE.test(ctor) ? ctor : err.name;
  const out: LoggedError = { type: TYPE.test(name) ? name : "Error" };
  const code = (err as { code?: unknown }).code;
  if ((typeof code === "string" && CODE.test(code)) || typeof code === "number") out.code = String(code);
  if (typeof err.stack === "string") {
    const frames = err.stack
      .split("\n")
      .filter((l) => /^\s+at /.test(l))
      .slice(0, MAX_FRAMES)
      .map((l) => l.trim());
    if (frames.length > 0) out.stack = frames.join("\n");
  }
  if (err.cause !== undefined && depth < MAX_CAUSES) out.cause = loggedError(err.cause, depth + 1);
  return out;
}

/** pino serializer for `err`: see LoggedError. */
export function serializeErrorForLog(err: unknown): LoggedError {
  return loggedError(err, 0);
}

/**
 * True when a request failed because its client went away (it closed the connection while its
 * body was being read): nothing to fix on our side, so not an error worth a stack trace.
 * @hono/node-server aborts the request's signal when the connection closes before the response
 * is written; an error code alone (ECONNRESET) could as well come from an outgoing request.
 */
export function isClientGone(request: Request): boolean {
  return request.signal.aborted;
}
