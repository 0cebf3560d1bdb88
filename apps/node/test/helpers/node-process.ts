import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * The URL a node process (`main.ts`) logs once it listens; every stdout line goes into `logs` (for
 * later checks and for the error when the node does not start within `timeoutMs`).
 */
export function nodeListening(child: ChildProcess, logs: string[], timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`node did not start:\n${logs.join("\n")}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      logs.push(line);
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === "storage node listening" && entry.url) {
        clearTimeout(t);
        resolve(entry.url);
      }
    });
  });
}
