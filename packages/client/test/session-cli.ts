import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "session.mjs");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Variables added to (or, as "", cleared from) this process's environment. */
  env?: Record<string, string>;
  /** Called with everything written to stderr so far, whenever more arrives (to react to progress). */
  onStderr?: (stderr: string) => void;
  /** Sends the CLI a SIGTERM once this returns true for its stderr so far (an interrupted run). */
  killWhen?: (stderr: string) => boolean;
  timeoutMs?: number;
}

/** Runs the real `session` CLI (bin/session.mjs) with `args`; a non-zero exit is a result, not a throw. */
export function runSession(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      opts.onStderr?.(stderr);
      if (opts.killWhen?.(stderr)) child.kill("SIGTERM");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}
