// Running a params schema so that a failure reads as oxenss's would: a ProtocolError with the
// code, the field and the wording of its parse_error, never an untyped throw.
import type { z } from "zod";
import { type ErrorCode, errorTable, fromZodError, ProtocolError } from "../errors.ts";

/** Field names whose failure gets a more specific error code than BAD_REQUEST. */
export const FIELD_ERROR_CODES = { pubkey: "INVALID_PUBKEY" } as const;

/** Runs a schema, converting failures into ProtocolError (never an untyped throw). */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  let result: ReturnType<S["safeParse"]>;
  try {
    result = schema.safeParse(input) as ReturnType<S["safeParse"]>;
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError("BAD_REQUEST", "invalid request parameters", undefined, { cause: err });
  }
  if (!result.success) {
    const typed = fromZodError(result.error, "BAD_REQUEST", FIELD_ERROR_CODES);
    const issue = firstOxenssIssue(result.error.issues, input);
    const code = codeForIssue(issue, typed.code);
    throw new ProtocolError(code, oxenssParseMessage(issue, input), typed.details);
  }
  return result.data as z.output<S>;
}

type Issue = z.core.$ZodIssue;

const fieldOf = (issue: Issue): string => String(issue.path[0] ?? "");
const isAbsent = (input: unknown, name: string): boolean =>
  typeof input !== "object" || input === null || (input as Record<string, unknown>)[name] == null;

/**
 * The issue oxenss would report first: it reads every field's type before any other check
 * (client_rpc_endpoints.cpp load_fields, in key order), then runs the method's own checks; so a
 * field given with the wrong type wins, then the schema's first issue.
 */
function firstOxenssIssue(rawIssues: readonly Issue[], input: unknown): Issue {
  const issues = rawIssues.map(unwrapUnion);
  const typeIssues = issues.filter(
    (i) => (i.code === "invalid_type" || i.code === "invalid_union") && !isAbsent(input, fieldOf(i)),
  );
  typeIssues.sort((a, b) => (fieldOf(a) < fieldOf(b) ? -1 : fieldOf(a) > fieldOf(b) ? 1 : 0));
  return typeIssues[0] ?? issues[0]!;
}

/**
 * A union of forms (a hash or a list of hashes) that failed in a form of the right type reports
 * that form's issue, as oxenss (which checks the type first) would.
 */
function unwrapUnion(issue: Issue): Issue {
  if (issue.code !== "invalid_union") return issue;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.code !== "invalid_type" && first.code !== "invalid_union")
      return { ...first, path: [...issue.path, ...first.path] } as Issue;
  }
  return issue;
}

function codeForIssue(issue: Issue, fallback: ErrorCode): ErrorCode {
  const own = (issue as { params?: { errorCode?: unknown } }).params?.errorCode;
  if (typeof own === "string" && own in errorTable) return own as ErrorCode;
  return fieldOf(issue) === "pubkey"
    ? "INVALID_PUBKEY"
    : fallback === "INVALID_PUBKEY"
      ? "BAD_REQUEST"
      : fallback;
}

/** oxenss's type names in "Invalid value given for 'x': expected …" (type_desc). */
const TYPE_DESC: Record<string, string> = {
  string: "string",
  number: "integer",
  int: "integer",
  boolean: "boolean",
  array: "string array",
};

/**
 * The text of oxenss's parse_error for an issue (the body then reads "invalid request: " + it):
 * "Required field 'x' missing", "Invalid value given for 'x': expected …", or the schema's own
 * message where it already is oxenss's wording.
 */
export function oxenssParseMessage(issue: Issue, input: unknown): string {
  const name = fieldOf(issue);
  const msg = issue.message;
  if (
    issue.path.length === 1 &&
    isAbsent(input, name) &&
    (issue.code === "invalid_type" || issue.code === "invalid_union")
  ) {
    return `Required field '${name}' missing`;
  }
  if (msg.startsWith("expected ") || msg === "value out of range")
    return `Invalid value given for '${name}': ${msg}`;
  if (msg.startsWith("Invalid timestamp: ")) return `Invalid timestamp for '${name}': ${msg.slice(19)}`;
  if (issue.code === "invalid_type" || issue.code === "invalid_union") {
    const expected = issue.code === "invalid_type" ? TYPE_DESC[issue.expected] : undefined;
    return `Invalid value given for '${name}': expected ${expected ?? "string"}`;
  }
  return msg;
}
