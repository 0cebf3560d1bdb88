import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const serve = fileURLToPath(new URL("./serve.ts", import.meta.url));
const logger = fileURLToPath(new URL("./logger.ts", import.meta.url));

/** A process whose "server" takes `closeMs` to close, stopped by exitOnSignals. */
function service(closeMs: number) {
  const code = `
    const { exitOnSignals } = await import(${JSON.stringify(serve)});
    const { createLogger } = await import(${JSON.stringify(logger)});
    const server = { close: () => new Promise((r) => setTimeout(r, ${closeMs})) };
    exitOnSignals(server, createLogger({ name: "t", level: "info" }));
    console.log(JSON.stringify({ msg: "ready" }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const seen = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => out.includes(text) && resolve();
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        check();
      });
      check();
    });
  const exited = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  return { child, seen, exited };
}

describe("exitOnSignals", () => {
  it("Ctrl-C under pnpm (a second SIGINT right after the first) is one stop: exit 0", async () => {
    const s = service(500);
    await s.seen("ready");
    s.child.kill("SIGINT");
    await s.seen("shutting down");
    s.child.kill("SIGINT");
    expect(await s.exited).toEqual({ code: 0, signal: null });
  }, 30_000);

  it("a second signal once the duplicate window has passed forces exit 1", async () => {
    const s = service(60_000);
    await s.seen("ready");
    s.child.kill("SIGTERM");
    await s.seen("shutting down");
    await new Promise((r) => setTimeout(r, 1200)); // past the 1 s duplicate window, on purpose
    s.child.kill("SIGTERM");
    expect(await s.exited).toEqual({ code: 1, signal: null });
  }, 30_000);
});
