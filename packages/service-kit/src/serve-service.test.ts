import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { serveService } from "./serve-service.ts";
import { capturedLogs } from "./testing/captured-logs.ts";

const signals = ["SIGTERM", "SIGINT"] as const;
const before = new Map(signals.map((s) => [s, process.listeners(s)]));

// serveService wires exitOnSignals; the test process must not exit on a signal it did not expect.
afterEach(() => {
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.off(s, l);
  }
});

describe("serveService", () => {
  it("serves, sweeps (logging a failed run), and on close stops the sweep before onClose", async () => {
    const { logger, logged } = capturedLogs("t");
    const app = new Hono().get("/", (c) => c.text("ok"));
    let sweeps = 0;
    const order: string[] = [];
    const server = await serveService(app, logger, {
      port: 0,
      sweep: {
        run: async () => {
          sweeps++;
          if (sweeps === 1) throw new Error("boom");
        },
        intervalMs: 10,
      },
      onClose: () => {
        order.push(`closed after ${sweeps} sweeps`);
      },
    });
    expect(await (await fetch(server.url)).text()).toBe("ok");
    await expect.poll(() => sweeps, { timeout: 2000 }).toBeGreaterThanOrEqual(2);
    expect(logged("sweep failed")).toBe(1);
    for (const s of signals) expect(process.listenerCount(s)).toBe(before.get(s)!.length + 1);
    await server.close();
    const atClose = sweeps;
    await new Promise((r) => setTimeout(r, 50));
    expect(sweeps).toBe(atClose);
    expect(order).toEqual([`closed after ${atClose} sweeps`]);
  });
});
