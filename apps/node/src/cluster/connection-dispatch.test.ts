import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectionDispatcher, type DispatchTarget } from "./connection-dispatch.ts";

/** A fake worker: records what it was passed, takes and closes connections when told. */
function fakeWorker(d: ConnectionDispatcher, id: number) {
  const passed: { id: number; socket: Socket }[] = [];
  const target: DispatchTarget = { pass: (conn, socket) => passed.push({ id: conn, socket }) };
  return {
    id,
    target,
    passed,
    take: (conn: number) => d.took(id, conn),
    close: (conn: number) => d.closedByWorker(id, conn),
  };
}

let server: Server;
let d: ConnectionDispatcher;
const clients: Socket[] = [];
/** The server's side of every connection (the fakes never take theirs). */
const accepted: Socket[] = [];

/** A client connection to the real listener; resolves once the dispatcher has it. */
async function dial(): Promise<{ client: Socket; ended: Promise<void> }> {
  const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
  client.on("error", () => {});
  clients.push(client);
  const ended = new Promise<void>((r) => client.once("close", () => r()));
  await new Promise<void>((r) => client.once("connect", () => r()));
  // The server's accept runs on its own turn.
  await new Promise((r) => setTimeout(r, 20));
  return { client, ended };
}

function start(opts: { maxPerAddress?: number; holdMs?: number } = {}) {
  d = new ConnectionDispatcher({ maxPerAddress: opts.maxPerAddress ?? 0, holdMs: opts.holdMs ?? 5_000 });
  server = createServer({ pauseOnConnect: true }, (s) => {
    accepted.push(s);
    d.accept(s);
  });
  return new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
}

beforeEach(() => {
  clients.length = 0;
  accepted.length = 0;
});
afterEach(async () => {
  d.close();
  for (const c of [...clients, ...accepted]) c.destroy();
  await new Promise((r) => server.close(r));
});

describe("ConnectionDispatcher", () => {
  it("passes each connection to the ready worker with the fewest open", async () => {
    await start();
    const a = fakeWorker(d, 1);
    const b = fakeWorker(d, 2);
    d.ready(a.id, a.target);
    d.ready(b.id, b.target);
    await dial();
    await dial();
    expect([a.passed.length, b.passed.length]).toEqual([1, 1]);
    // b's connection closes: the next two go to b first (fewest), then either.
    b.close(b.passed[0]!.id);
    await dial();
    expect(b.passed.length).toBe(2);
    expect(d.openByWorker()).toEqual(
      new Map([
        [1, 1],
        [2, 1],
      ]),
    );
    // A connection taken by its worker stays counted until the worker says it closed.
    a.take(a.passed[0]!.id);
    await dial();
    await dial();
    expect(a.passed.length + b.passed.length).toBe(5);
    expect(Math.abs(a.passed.length - b.passed.length)).toBeLessThanOrEqual(1);
  }, 10_000);

  it("closes the owner's copy once taken, and every copy a dead worker never took", async () => {
    await start();
    const w = fakeWorker(d, 1);
    d.ready(w.id, w.target);
    await dial();
    const untaken = await dial();
    w.take(w.passed[0]!.id);
    expect(w.passed[0]!.socket.destroyed).toBe(true);
    expect(w.passed[1]!.socket.destroyed).toBe(false);
    // The worker dies: the connection it never took ends for its client at once (no other copy
    // exists here: the fake never held one), instead of staying open with nobody to answer it.
    d.gone(w.id);
    await untaken.ended;
    expect(w.passed[1]!.socket.destroyed).toBe(true);
    expect(d.openFrom("127.0.0.1")).toBe(0);
    expect(d.openByWorker().size).toBe(0);
  }, 10_000);

  it("holds connections until a worker is ready, and closes those nobody takes in time", async () => {
    await start({ holdMs: 300 });
    const early = await dial();
    const w = fakeWorker(d, 1);
    d.ready(w.id, w.target);
    expect(w.passed.length).toBe(1);
    expect(early.client.destroyed).toBe(false);
    d.gone(w.id);
    const late = await dial();
    const t = Date.now();
    await late.ended;
    expect(Date.now() - t).toBeGreaterThanOrEqual(200);
    expect(d.openFrom("127.0.0.1")).toBe(0);
  }, 10_000);

  it("caps open connections per address over every worker together", async () => {
    await start({ maxPerAddress: 3 });
    const a = fakeWorker(d, 1);
    const b = fakeWorker(d, 2);
    d.ready(a.id, a.target);
    d.ready(b.id, b.target);
    for (let i = 0; i < 3; i++) await dial();
    const refused = await dial();
    await refused.ended;
    expect(a.passed.length + b.passed.length).toBe(3);
    expect(d.openFrom("127.0.0.1")).toBe(3);
    // One closes in its worker: the address may open one more.
    a.close(a.passed[0]!.id);
    await dial();
    expect(a.passed.length + b.passed.length).toBe(4);
  }, 10_000);

  it("ends a connection whose pass failed", async () => {
    await start();
    const failing: DispatchTarget = { pass: (id) => queueMicrotask(() => d.lost(id)) };
    d.ready(1, failing);
    const c = await dial();
    await c.ended;
    expect(d.openFrom("127.0.0.1")).toBe(0);
  }, 10_000);
});
