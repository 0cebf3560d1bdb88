import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");

/** A service's `main.ts` run as a real process (through tsx), with its JSON log lines to read. */
interface ServiceProcess {
  child: ReturnType<typeof spawn>;
  /** Exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /**
   * The first JSON log line (from line index `from` on) matching `pattern`, parsed. Kills the
   * process and throws with everything it printed when none comes within `timeoutMs`.
   */
  line(pattern: RegExp, timeoutMs?: number, from?: number): Promise<Record<string, unknown>>;
  output(): { out: string; err: string };
  /** How many stdout lines so far (a `from` for later `line` calls). */
  lines(): number;
}

/**
 * Starts `mainPath` with only PATH and `env` in its environment (so the test states every
 * setting the service sees), collecting stdout and stderr.
 */
export function runService(mainPath: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [tsxCli, mainPath], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const line = async (pattern: RegExp, timeoutMs = 20_000, from = 0) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const found = out
        .split("\n")
        .slice(from)
        .find((l) => pattern.test(l));
      if (found) return JSON.parse(found) as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    throw new Error(`no log line ${pattern} in:\n${out}\n${err}`);
  };
  return { child, exited, line, output: () => ({ out, err }), lines: () => out.split("\n").length };
}

/** Whether a process with this pid still exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
