import { Writable } from "node:stream";
import { createLogger, type Logger } from "../logger.ts";

/**
 * A service logger whose JSON lines a test reads: `lines` holds each parsed line as written,
 * `logged(prefix)` counts the lines whose `msg` starts with `prefix` ("logged once, not per
 * request" checks).
 */
export function capturedLogs(name: string): {
  logger: Logger;
  lines: Record<string, unknown>[];
  logged: (msgPrefix: string) => number;
} {
  const lines: Record<string, unknown>[] = [];
  let partial = "";
  const destination = new Writable({
    write(chunk, _enc, done) {
      const text = partial + String(chunk);
      const complete = text.split("\n");
      partial = complete.pop() ?? "";
      for (const l of complete) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const logged = (msgPrefix: string) =>
    lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith(msgPrefix)).length;
  return { logger: createLogger({ name, level: "info", destination }), lines, logged };
}
